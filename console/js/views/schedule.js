// The schedule: the week at a glance (working time, bookings, customers' holds, blocked time), the working
// hours with their date overrides, and blocked time. Every time shown or typed is on the provider's clock
// (its time zone), whatever zone the browser is in.
import { api } from "../api.js";
import { busy, field, formStatus, h, replace } from "../dom.js";
import {
  addDays, dayLabel, formatOffset, instantLabel, localDate, localTime, minutesOf, offsetMinutes, timeOf, toMs,
  today, wallToInstant, wallToRfc3339, weekday, weekStart,
} from "../time.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES = {
  mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday",
};
const WEEKDAYS_FROM_MONDAY = ["tue", "wed", "thu", "fri"];
const PAGE = 100;
const TAKES_TIME = new Set(["PENDING", "CONFIRMED"]);
const STATUS_WORDS = { PENDING: "Pending", CONFIRMED: "Confirmed" };
// Which entry comes first when two start together.
const KIND_ORDER = { open: 0, block: 1, booking: 2, hold: 3 };

let statusCount = 0;

/** Every item of a paged list. */
async function allPages(path, key, query = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await api("GET", path, { query: { ...query, limit: PAGE, cursor } });
    items.push(...((page && page[key]) || []));
    cursor = (page && page.next_cursor) || null;
  } while (cursor);
  return items;
}

/** "Tuesday 2 December" for a calendar date. */
function longDayLabel(date) {
  const [y, m, d] = date.split("-").map(Number);
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** "Thu 24 Dec", with the year when it is not this year's. */
function dateLabel(date, tz) {
  const year = date.slice(0, 4);
  return year === today(tz).slice(0, 4) ? dayLabel(date) : `${dayLabel(date)} ${year}`;
}

/** "14:00–15:00" on the zone's clock; an end at the next midnight is "24:00". */
function spanText(start, end, tz) {
  let until = localTime(end, tz);
  if (until === "00:00" && localDate(end, tz) !== localDate(start, tz)) until = "24:00";
  return `${localTime(start, tz)}–${until}`;
}

/** "Tue 2 Dec, 13:00–17:00", or both dates when it ends on another day (not at its midnight). */
function spanLabel(start, end, tz) {
  const text = spanText(start, end, tz);
  const endsLater = localDate(end, tz) !== localDate(start, tz) && !text.endsWith("24:00");
  if (endsLater) return `${instantLabel(start, tz)} – ${instantLabel(end, tz)}`;
  return `${dayLabel(localDate(start, tz))}, ${text}`;
}

/** A closing time typed as 00:00 means midnight at the end of the day. */
function endForApi(time) {
  return time === "00:00" ? "24:00" : time;
}

function endForInput(time) {
  return time === "24:00" ? "00:00" : time;
}

/** The editable copy of a working-hours document: closing times as the inputs show them. */
function toDraft(document) {
  const weekly = {};
  for (const day of DAYS) {
    weekly[day] = ((document.weekly || {})[day] || []).map((iv) => ({ start: iv.start, end: endForInput(iv.end) }));
  }
  const overrides = (document.overrides || []).map((o) => ({
    date: o.date, intervals: o.intervals.map((iv) => ({ start: iv.start, end: endForInput(iv.end) })),
  }));
  return { weekly, overrides };
}

function intervalsForApi(list) {
  return list.map((iv) => ({ start: iv.start, end: endForApi(iv.end) }));
}

function toDocument(draft) {
  const weekly = {};
  for (const day of DAYS) weekly[day] = intervalsForApi(draft.weekly[day]);
  return { weekly, overrides: draft.overrides.map((o) => ({ date: o.date, intervals: intervalsForApi(o.intervals) })) };
}

function intervalsText(intervals) {
  return intervals.map((iv) => `${iv.start}–${endForApi(iv.end)}`).join(", ");
}

/** A default for a new row: 09:00–17:00 first, else the hour after the last row. */
function nextInterval(list) {
  const last = list[list.length - 1];
  if (!last) return { start: "09:00", end: "17:00" };
  if (!/^\d{2}:\d{2}$/.test(last.end) || last.end === "00:00") return { start: "", end: "" };
  const from = minutesOf(last.end);
  const until = Math.min(from + 60, 1440);
  return { start: timeOf(from), end: endForInput(timeOf(until)) };
}

/**
 * Rows of opening and closing times editing `list` in place, with Remove per row and an Add button.
 * labels: {opens(n), closes(n), remove(n), add}; changed() is called after every edit.
 */
function intervalEditor(list, labels, changed) {
  const rows = h("div", { class: "intervals" });
  const add = h("button", { type: "button", class: "secondary" }, labels.add);

  function row(iv, index) {
    const n = index + 1;
    const opens = h("input", { type: "time", step: 900, value: iv.start, "aria-label": labels.opens(n) });
    const closes = h("input", { type: "time", step: 900, value: iv.end, "aria-label": labels.closes(n) });
    const edited = (input, key) => () => {
      iv[key] = input.value;
      input.removeAttribute("aria-invalid");
      changed();
    };
    opens.addEventListener("input", edited(opens, "start"));
    closes.addEventListener("input", edited(closes, "end"));
    const remove = h("button", { type: "button", class: "secondary", "aria-label": labels.remove(n) }, "Remove");
    remove.addEventListener("click", () => {
      list.splice(index, 1);
      changed();
      draw(list.length ? Math.min(index, list.length - 1) : "add");
    });
    return h("div", { class: "interval" }, opens, h("span", { class: "to" }, "to"), closes, remove);
  }

  /** Redraw from `list`; focus: a row's index (its opening time) or "add". */
  function draw(focus) {
    replace(rows, list.length ? list.map(row) : h("p", { class: "closed" }, "Closed"));
    if (focus === "add") add.focus();
    else if (typeof focus === "number") rows.querySelectorAll("input")[focus * 2]?.focus();
  }

  add.addEventListener("click", () => {
    list.push(nextInterval(list));
    changed();
    draw(list.length - 1);
  });
  draw();
  return { el: h("div", { class: "interval-editor" }, rows, add), draw, rows };
}

export async function render(root, ctx) {
  const provider = ctx.provider;
  const tz = provider.timezone;
  const base = `/v1/providers/${encodeURIComponent(provider.provider_id)}`;
  let serviceNames = new Map((provider.services || []).map((s) => [s.service_id, s.name]));
  let servicesReloaded = false;

  // What the server holds; the week view draws from these.
  // Without the stored hours the editor would save over them: a failure here is the page's (with "Try again").
  let hours = await api("GET", `${base}/working-hours`);
  let blocks = [];
  let blocksProblem = null;
  try {
    blocks = await allPages(`${base}/blocks`, "blocks");
  } catch (err) {
    blocksProblem = new Error(`Blocked time could not be read: ${err.message}`);
  }
  let week = { monday: weekStart(today(tz)), bookings: [], holds: [], problems: [] };
  let weekLoads = 0;

  function intervalsOn(date) {
    const override = (hours.overrides || []).find((o) => o.date === date);
    return override ? override.intervals : (hours.weekly || {})[weekday(date)] || [];
  }

  // --- the week ---------------------------------------------------------------------------------

  const weekHeading = h("h2", { id: "week-heading", "aria-live": "polite" });
  const weekStatus = formStatus();
  const days = h("div", { class: "week", "aria-labelledby": "week-heading" });
  const navButton = (label, onclick) => h("button", { type: "button", class: "secondary", onclick }, label);
  const previous = navButton("Previous week", (e) => showWeek(addDays(week.monday, -7), e.currentTarget));
  const thisWeek = navButton("This week", (e) => showWeek(weekStart(today(tz)), e.currentTarget));
  const next = navButton("Next week", (e) => showWeek(addDays(week.monday, 7), e.currentTarget));
  const refresh = navButton("Refresh", (e) => showWeek(week.monday, e.currentTarget, true));

  async function loadWeek(monday) {
    const from = addDays(monday, -1); // a booking or hold from the Sunday before may run past midnight
    const to = addDays(monday, 6);
    const [bookings, holds] = await Promise.allSettled([
      allPages(`${base}/bookings`, "bookings", { from, to }),
      api("GET", `${base}/holds`, { query: { from, to } }),
    ]);
    const problems = [];
    if (bookings.status === "fulfilled" && !servicesReloaded
        && bookings.value.some((b) => !serviceNames.has(b.service_id))) {
      // A service added since the profile was read (in another tab, say): read the profile once more.
      servicesReloaded = true;
      try {
        const fresh = await ctx.reloadProvider();
        if (fresh) serviceNames = new Map((fresh.services || []).map((s) => [s.service_id, s.name]));
      } catch {
        // The names stay as they were; the bookings are still shown.
      }
    }
    if (bookings.status === "rejected") problems.push(`Bookings could not be read: ${bookings.reason.message}`);
    if (holds.status === "rejected") problems.push(`Holds could not be read: ${holds.reason.message}`);
    return {
      monday,
      bookings: bookings.status === "fulfilled" ? bookings.value.filter((b) => TAKES_TIME.has(b.status)) : [],
      holds: holds.status === "fulfilled" ? (holds.value?.holds || []) : [],
      problems,
    };
  }

  /** The entries of one local date: working time, then everything that overlaps the day, by start. */
  function entriesOn(date, now) {
    const dayStart = wallToInstant(date, "00:00", tz);
    const dayEnd = wallToInstant(addDays(date, 1), "00:00", tz);
    const entries = intervalsOn(date).map((iv) => ({
      kind: "open", at: wallToInstant(date, iv.start, tz), className: "entry open",
      text: `Open ${iv.start}–${iv.end}`,
    }));
    const touching = (item) => toMs(item.start) < dayEnd && toMs(item.end) > dayStart;
    const at = (item) => Math.max(toMs(item.start), dayStart);
    for (const b of week.bookings.filter(touching)) {
      const service = serviceNames.get(b.service_id) || "A service no longer offered";
      entries.push({
        kind: "booking", at: at(b), className: `entry booking${b.status === "PENDING" ? " pending" : ""}`,
        text: `${spanText(b.start, b.end, tz)} · ${service} · ${STATUS_WORDS[b.status]}`,
      });
    }
    for (const hold of week.holds.filter((x) => touching(x) && toMs(x.expires_at) > now)) {
      entries.push({
        kind: "hold", at: at(hold), className: "entry hold",
        text: `${spanText(hold.start, hold.end, tz)} · Held until ${localTime(hold.expires_at, tz)}`,
      });
    }
    for (const block of blocks.filter(touching)) {
      entries.push({
        kind: "block", at: at(block), className: "entry block",
        text: `${spanText(block.start, block.end, tz)} · Blocked${block.reason ? ` · ${block.reason}` : ""}`,
      });
    }
    return entries.sort((a, b) => a.at - b.at || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  }

  function drawWeek() {
    const now = Date.now();
    const current = today(tz, now);
    weekHeading.textContent = `Week of ${dayLabel(week.monday)}`;
    const boxes = [];
    for (let i = 0; i < 7; i += 1) {
      const date = addDays(week.monday, i);
      const entries = entriesOn(date, now);
      const open = entries.some((e) => e.kind === "open");
      const taken = entries.some((e) => e.kind !== "open");
      const isToday = date === current;
      boxes.push(h("section", {
        class: `day${isToday ? " today" : ""}`, "aria-label": longDayLabel(date),
        "aria-current": isToday ? "date" : null,
      },
      h("h3", {}, dayLabel(date), isToday ? " · Today" : ""),
      open ? null : h("p", { class: "day-note" }, "Closed"),
      entries.length ? h("ul", { class: "entries" }, entries.map((e) => h("li", { class: e.className }, e.text)))
        : null,
      open && !taken ? h("p", { class: "day-note" }, "Nothing booked") : null));
    }
    replace(days, boxes);
    const problems = blocksProblem ? [...week.problems, blocksProblem.message] : week.problems;
    if (problems.length) weekStatus.error(new Error(problems.join(" ")));
    else weekStatus.clear();
  }

  /** Show a week, reading its bookings and holds (and the blocks again when refreshing). */
  async function showWeek(monday, button, reloadBlocks = false) {
    const count = ++weekLoads;
    days.setAttribute("aria-busy", "true");
    await busy(button, weekStatus, async () => {
      const [loaded, freshBlocks] = await Promise.all([
        loadWeek(monday), reloadBlocks ? allPages(`${base}/blocks`, "blocks") : null,
      ]);
      if (count !== weekLoads) return; // a later click won
      week = loaded;
      if (freshBlocks) {
        blocks = freshBlocks;
        blocksProblem = null;
        listStatus.clear();
        drawBlockList();
      }
      drawWeek();
    });
    if (count === weekLoads) days.removeAttribute("aria-busy");
  }

  // --- working hours and overrides --------------------------------------------------------------

  let draft = toDraft(hours);
  const unsaved = h("span", { class: "unsaved", hidden: true }, "Unsaved changes");
  const changed = () => { unsaved.hidden = false; };
  const editors = {};
  const dayFieldsets = DAYS.map((day) => {
    const name = DAY_NAMES[day];
    editors[day] = intervalEditor(draft.weekly[day], {
      opens: (n) => `${name} opens ${n}`, closes: (n) => `${name} closes ${n}`,
      remove: (n) => `Remove ${name} hours ${n}`, add: `Add hours to ${name}`,
    }, changed);
    return h("fieldset", { class: "hours-day" }, h("legend", {}, name), editors[day].el);
  });
  const copyStatus = formStatus();
  const copy = h("button", { type: "button", class: "secondary" }, "Copy Monday to Tuesday–Friday");
  copy.addEventListener("click", () => {
    for (const day of WEEKDAYS_FROM_MONDAY) {
      // The editors edit their list in place: refill it rather than replace it.
      draft.weekly[day].splice(0, draft.weekly[day].length, ...draft.weekly.mon.map((iv) => ({ ...iv })));
      editors[day].draw();
    }
    changed();
    copyStatus.ok("Monday's hours are copied to Tuesday–Friday; save working hours to keep them.");
  });

  // The overrides: those of today on are listed; past ones are kept as they are.
  const overrideList = h("ul", { class: "override-list" });
  const overrideStatus = formStatus();
  function drawOverrides(focusAfter) {
    const from = today(tz);
    const upcoming = draft.overrides.filter((o) => o.date >= from).sort((a, b) => a.date.localeCompare(b.date));
    replace(overrideList, upcoming.length ? upcoming.map((o) => {
      const label = dateLabel(o.date, tz);
      const remove = h("button", { type: "button", class: "secondary", "aria-label": `Remove override ${label}` },
        "Remove");
      remove.addEventListener("click", () => {
        const index = upcoming.indexOf(o);
        draft.overrides.splice(draft.overrides.indexOf(o), 1);
        changed();
        overrideStatus.ok(`The override of ${label} is removed; save working hours to keep the change.`);
        drawOverrides(index);
      });
      return h("li", {}, h("span", {}, h("strong", {}, label), ": ",
        o.intervals.length ? intervalsText(o.intervals) : "Closed all day"), remove);
    }) : h("li", { class: "empty" }, "No date overrides coming up."));
    if (typeof focusAfter === "number") {
      const buttons = overrideList.querySelectorAll("button");
      (buttons[Math.min(focusAfter, buttons.length - 1)] || overrideDate).focus();
    }
  }

  const overrideDate = h("input", { type: "date", min: today(tz) });
  const kindName = "override-kind";
  const closedAllDay = h("input", { type: "radio", name: kindName, value: "closed", checked: true });
  const specialHours = h("input", { type: "radio", name: kindName, value: "hours" });
  let special = [];
  const specialLabels = {
    opens: (n) => `Override opens ${n}`, closes: (n) => `Override closes ${n}`,
    remove: (n) => `Remove override hours ${n}`, add: "Add special hours",
  };
  let specialEditor = intervalEditor(special, specialLabels, () => {});
  const specialBox = h("div", { class: "special-hours", hidden: true }, specialEditor.el);
  const syncKind = () => {
    specialBox.hidden = !specialHours.checked;
    if (specialHours.checked && special.length === 0) {
      special.push({ start: "09:00", end: "17:00" });
      specialEditor.draw();
    }
  };
  closedAllDay.addEventListener("change", syncKind);
  specialHours.addEventListener("change", syncKind);
  const addOverride = h("button", { type: "button", class: "secondary" }, "Add override");
  addOverride.addEventListener("click", () => {
    overrideStatus.clear();
    const date = overrideDate.value;
    if (!date) {
      overrideStatus.error(new Error("Choose the date of the override."));
      overrideDate.focus();
      return;
    }
    if (specialHours.checked && special.length === 0) {
      overrideStatus.error(new Error("Add the special hours, or choose Closed all day."));
      return;
    }
    const intervals = specialHours.checked ? special.map((iv) => ({ ...iv })) : [];
    const existing = draft.overrides.findIndex((o) => o.date === date);
    if (existing >= 0) draft.overrides.splice(existing, 1);
    draft.overrides.push({ date, intervals });
    draft.overrides.sort((a, b) => a.date.localeCompare(b.date));
    changed();
    drawOverrides();
    overrideStatus.ok(`${existing >= 0 ? "The override of" : "An override for"} ${dateLabel(date, tz)} is `
      + `${existing >= 0 ? "replaced" : "added"}; save working hours to keep it.`);
    // Ready for the next one.
    overrideDate.value = "";
    closedAllDay.checked = true;
    special = [];
    const fresh = intervalEditor(special, specialLabels, () => {});
    specialEditor.el.replaceWith(fresh.el);
    specialEditor = fresh;
    specialBox.hidden = true;
  });
  const overrideForm = h("div", { class: "override-add" },
    h("h4", {}, "Add an override"),
    field("Date", overrideDate),
    h("fieldset", {}, h("legend", {}, "On that date"),
      h("div", { class: "checks" },
        h("label", { class: "check" }, closedAllDay, "Closed all day"),
        h("label", { class: "check" }, specialHours, "Special hours")),
      specialBox),
    addOverride, overrideStatus.el);
  // Enter in the override's fields adds the override rather than saving the whole form without it.
  overrideForm.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target instanceof HTMLInputElement) {
      event.preventDefault();
      addOverride.click();
    }
  });

  const save = h("button", { type: "submit" }, "Save working hours");
  const saveStatus = formStatus();
  saveStatus.el.id = `schedule-status-${++statusCount}`;

  /** Point at the field an API message names ("weekly.tue[0].end: must be after start (09:00)"). */
  function markInvalid(message) {
    for (const input of hoursForm.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const found = /^weekly\.([a-z]{3})\[(\d+)\](?:\.(start|end))?/.exec(message || "");
    if (!found || !editors[found[1]]) return;
    const inputs = editors[found[1]].rows.querySelectorAll("input");
    const index = Number(found[2]) * 2;
    const targets = found[3] === "start" ? [inputs[index]] : found[3] === "end" ? [inputs[index + 1]]
      : [inputs[index], inputs[index + 1]];
    for (const input of targets.filter(Boolean)) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", saveStatus.el.id);
    }
    targets[0]?.focus();
  }

  const hoursForm = h("form", { class: "card hours-form", novalidate: true },
    h("p", { class: "hint" }, "Times are on the 15-minute grid. A closing time of 00:00 means midnight at the end "
      + "of the day."),
    h("div", { class: "hours-days" }, dayFieldsets),
    h("div", { class: "actions" }, copy), copyStatus.el,
    h("h3", {}, "Date overrides"),
    h("p", { class: "hint" }, "An override replaces the weekly hours of its date: closed all day, or special hours."),
    overrideList,
    overrideForm,
    h("div", { class: "actions save-row" }, save, unsaved),
    saveStatus.el);
  hoursForm.addEventListener("submit", (event) => {
    event.preventDefault();
    copyStatus.clear();
    overrideStatus.clear();
    busy(save, saveStatus, async () => {
      saveStatus.el.textContent = "Saving…"; // laying out the slots of new hours can take some seconds
      try {
        hours = await api("PUT", `${base}/working-hours`, { body: toDocument(draft) });
      } catch (err) {
        markInvalid(err.message);
        throw err;
      }
      markInvalid("");
      // Redraw from what was stored (sorted), keeping each editor's list the same object.
      const stored = toDraft(hours);
      for (const day of DAYS) {
        draft.weekly[day].splice(0, draft.weekly[day].length, ...stored.weekly[day]);
        editors[day].draw();
      }
      draft.overrides = stored.overrides;
      drawOverrides();
      unsaved.hidden = true;
      saveStatus.ok("Working hours saved.");
      drawWeek();
    });
  });

  // --- blocked time -----------------------------------------------------------------------------

  const blockDate = h("input", { type: "date", required: true, value: today(tz), min: today(tz) });
  const blockFrom = h("input", { type: "time", step: 900, required: true });
  const blockUntil = h("input", { type: "time", step: 900, required: true });
  const blockReason = h("input", { type: "text", maxlength: 500 });
  const blockButton = h("button", { type: "submit" }, "Block time");
  const blockStatus = formStatus();
  const conflicts = h("ul", { class: "conflicts", hidden: true });
  const blockList = h("ul", { class: "block-list" });
  const listStatus = formStatus();

  async function bookingLines(ids) {
    return Promise.all(ids.map(async (id) => {
      try {
        const b = week.bookings.find((x) => x.booking_id === id)
          || await api("GET", `/v1/bookings/${encodeURIComponent(id)}`);
        const service = serviceNames.get(b.service_id) || "A service no longer offered";
        return `${spanLabel(b.start, b.end, tz)} · ${service} · ${STATUS_WORDS[b.status] || b.status}`;
      } catch {
        return `Booking ${id}`;
      }
    }));
  }

  const blockForm = h("form", { class: "card", novalidate: true },
    h("div", { class: "row" },
      field("Date", blockDate),
      field("From", blockFrom),
      field("Until", blockUntil)),
    h("p", { class: "hint" }, "Until 00:00 means until midnight at the end of that day."),
    field("Reason", blockReason, "Optional; only you see it (up to 500 characters)."),
    blockButton, blockStatus.el, conflicts);
  blockForm.addEventListener("submit", (event) => {
    event.preventDefault();
    replace(conflicts);
    conflicts.hidden = true;
    const date = blockDate.value;
    const from = blockFrom.value;
    const until = blockUntil.value;
    if (!date || !from || !until) {
      blockStatus.error(new Error("Choose the date and the times to block."));
      (!date ? blockDate : !from ? blockFrom : blockUntil).focus();
      return;
    }
    busy(blockButton, blockStatus, async () => {
      const midnight = until === "00:00" || until === "24:00";
      const body = {
        start: wallToRfc3339(date, from, tz),
        end: midnight ? wallToRfc3339(addDays(date, 1), "00:00", tz) : wallToRfc3339(date, until, tz),
      };
      if (blockReason.value.trim()) body.reason = blockReason.value.trim();
      try {
        await api("POST", `${base}/blocks`, { body });
      } catch (err) {
        const ids = err?.body?.error?.booking_ids;
        if (err.code === "conflicts_with_bookings" && Array.isArray(ids) && ids.length) {
          const lines = await bookingLines(ids);
          replace(conflicts, h("li", { class: "conflicts-head" }, "In the way:"), lines.map((t) => h("li", {}, t)));
          conflicts.hidden = false;
        }
        throw err;
      }
      blockStatus.ok(`Blocked ${dayLabel(date)} ${from}–${midnight ? "24:00" : until}.`);
      blockReason.value = "";
      try {
        blocks = await allPages(`${base}/blocks`, "blocks");
        blocksProblem = null;
        listStatus.clear();
      } catch (err) {
        blocksProblem = new Error(`Blocked time could not be read: ${err.message}`);
        listStatus.error(blocksProblem);
      }
      drawBlockList();
      drawWeek();
    });
  });

  function drawBlockList(focusAfter) {
    const now = Date.now();
    const upcoming = blocks.filter((b) => toMs(b.end) > now).sort((a, b) => toMs(a.start) - toMs(b.start));
    replace(blockList, upcoming.length ? upcoming.map((block) => {
      const label = spanLabel(block.start, block.end, tz);
      const remove = h("button", { type: "button", class: "secondary", "aria-label": `Remove block ${label}` },
        "Remove");
      remove.addEventListener("click", () => {
        const index = upcoming.indexOf(block);
        busy(remove, listStatus, async () => {
          await api("DELETE", `${base}/blocks/${encodeURIComponent(block.block_id)}`);
          blocks = blocks.filter((b) => b.block_id !== block.block_id);
          listStatus.ok(`The block of ${label} is removed.`);
          drawBlockList(index);
          drawWeek();
        });
      });
      return h("li", {}, h("span", {}, h("strong", {}, label), block.reason ? ` · ${block.reason}` : ""), remove);
    }) : h("li", { class: "empty" }, "No blocked time coming up."));
    if (typeof focusAfter === "number") {
      const buttons = blockList.querySelectorAll("button");
      (buttons[Math.min(focusAfter, buttons.length - 1)] || blockButton).focus();
    }
  }

  // --- the page ---------------------------------------------------------------------------------

  week = await loadWeek(week.monday);
  drawWeek();
  drawOverrides();
  drawBlockList();
  if (blocksProblem) listStatus.error(blocksProblem);

  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = formatOffset(offsetMinutes(Date.now(), tz));
  root.append(
    h("h1", {}, "Schedule"),
    h("p", { class: "zone-line" }, `All times are on your business's clock: ${tz} (UTC${offset} now)`,
      browserZone && browserZone !== tz ? `, not this device's (${browserZone}).` : "."),
    h("section", { class: "schedule-week", "aria-labelledby": "week-heading" },
      h("div", { class: "week-head" }, weekHeading,
        h("div", { class: "actions" }, previous, thisWeek, next, refresh)),
      weekStatus.el,
      days),
    h("section", { class: "schedule-hours", "aria-labelledby": "hours-heading" },
      h("h2", { id: "hours-heading" }, "Working hours"),
      hoursForm),
    h("section", { class: "schedule-blocks", "aria-labelledby": "blocks-heading" },
      h("h2", { id: "blocks-heading" }, "Blocked time"),
      h("p", { class: "hint" }, "Take time out of your schedule: customers cannot book it. For whole days off, "
        + "use a date override."),
      blockForm,
      h("h3", {}, "Upcoming blocks"),
      blockList,
      listStatus.el),
  );
}
