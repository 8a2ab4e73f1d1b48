// Wall-clock arithmetic in a provider's IANA time zone, with the browser's own zone rules (Intl).
// Pure functions: unit-tested with `node --test` (tests/console/).

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const formatters = new Map();

function formatter(timeZone) {
  if (!formatters.has(timeZone)) {
    formatters.set(timeZone, new Intl.DateTimeFormat("en-GB", {
      timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
  }
  return formatters.get(timeZone);
}

function wallParts(ms, timeZone) {
  const parts = {};
  for (const { type, value } of formatter(timeZone).formatToParts(new Date(ms))) parts[type] = value;
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second),
  };
}

/** Minutes the zone is ahead of UTC at an instant (ms since the epoch): +630 for Adelaide in summer. */
export function offsetMinutes(ms, timeZone) {
  const p = wallParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/** "+10:30" / "-03:30" / "+00:00" for an offset in minutes. */
export function formatOffset(minutes) {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function pad(n) { return String(n).padStart(2, "0"); }

function parseDate(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function parseTime(time) {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  if (!m) throw new Error(`not a time: ${time}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * The instant (ms) a wall-clock date and time in a zone stands for. A time skipped by a clock change
 * (spring forward) is taken as the same distance past the change; a repeated time (fall back) is the
 * first of the two, as most calendars do.
 */
export function wallToInstant(date, time, timeZone) {
  const [y, mo, d] = parseDate(date);
  const [h, mi] = parseTime(time);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // The offsets in force half a day either side bracket any clock change near this time.
  const candidates = [
    wall - offsetMinutes(wall - 14 * 3600000, timeZone) * 60000,
    wall - offsetMinutes(wall + 14 * 3600000, timeZone) * 60000,
  ].sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (wall - offsetMinutes(candidate, timeZone) * 60000 === candidate) return candidate;
  }
  // In a gap: no instant shows this wall time; use the offset from before the change.
  return wall - offsetMinutes(wall - 14 * 3600000, timeZone) * 60000;
}

/** RFC 3339 with the zone's offset at that moment: "2026-12-01T13:00:00+10:30". */
export function wallToRfc3339(date, time, timeZone) {
  const ms = wallToInstant(date, time, timeZone);
  const p = wallParts(ms, timeZone);
  const offset = formatOffset(offsetMinutes(ms, timeZone));
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:00${offset}`;
}

/** The local date "YYYY-MM-DD" of an instant (ms or RFC 3339 string) in a zone. */
export function localDate(instant, timeZone) {
  const p = wallParts(toMs(instant), timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The local time "HH:MM" of an instant in a zone. */
export function localTime(instant, timeZone) {
  const p = wallParts(toMs(instant), timeZone);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** Minutes since local midnight of an instant in a zone. */
export function localMinutes(instant, timeZone) {
  const p = wallParts(toMs(instant), timeZone);
  return p.hour * 60 + p.minute;
}

export function toMs(instant) {
  return typeof instant === "number" ? instant : Date.parse(instant);
}

/** Today's date on the zone's clock. */
export function today(timeZone, nowMs = Date.now()) {
  return localDate(nowMs, timeZone);
}

/** A calendar date n days after another ("YYYY-MM-DD", no zone involved). */
export function addDays(date, n) {
  const [y, m, d] = parseDate(date);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** "mon".."sun" of a calendar date. */
export function weekday(date) {
  const [y, m, d] = parseDate(date);
  return WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
}

/** The Monday on or before a date. */
export function weekStart(date) {
  const index = WEEKDAYS.indexOf(weekday(date));
  return addDays(date, -((index + 6) % 7));
}

/** "HH:MM" -> minutes; "24:00" -> 1440. */
export function minutesOf(time) {
  const [h, m] = parseTime(time);
  return h * 60 + m;
}

/** Minutes -> "HH:MM" (1440 -> "24:00"). */
export function timeOf(minutes) {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** "Mon 1 Dec" for a calendar date. */
export function dayLabel(date) {
  const [y, m, d] = parseDate(date);
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** "Mon 1 Dec, 14:30" on the zone's clock. */
export function instantLabel(instant, timeZone) {
  const date = localDate(instant, timeZone);
  return `${dayLabel(date)}, ${localTime(instant, timeZone)}`;
}
