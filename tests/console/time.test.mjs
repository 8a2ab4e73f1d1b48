// Unit tests of console/js/time.js, run by `node --test` (tests/unit/test_console_scripts.py runs them).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addDays, formatOffset, localDate, localMinutes, localTime, minutesOf, offsetMinutes, timeOf, wallToInstant,
  wallToRfc3339, weekStart, weekday,
} from "../../console/js/time.js";

test("odd offsets: Adelaide in summer is +10:30, St John's in winter -03:30, Kathmandu +05:45", () => {
  assert.equal(formatOffset(offsetMinutes(Date.parse("2026-12-01T00:00:00Z"), "Australia/Adelaide")), "+10:30");
  assert.equal(formatOffset(offsetMinutes(Date.parse("2026-12-01T00:00:00Z"), "America/St_Johns")), "-03:30");
  assert.equal(formatOffset(offsetMinutes(Date.parse("2026-12-01T00:00:00Z"), "Asia/Kathmandu")), "+05:45");
});

test("a wall time becomes the right instant with its offset", () => {
  assert.equal(wallToRfc3339("2026-12-01", "13:00", "Australia/Adelaide"), "2026-12-01T13:00:00+10:30");
  assert.equal(new Date(wallToInstant("2026-12-01", "13:00", "Australia/Adelaide")).toISOString(),
    "2026-12-01T02:30:00.000Z");
  assert.equal(wallToRfc3339("2026-07-01", "09:15", "Europe/London"), "2026-07-01T09:15:00+01:00");
});

test("London's spring-forward gap and fall-back repeat", () => {
  // 2027-03-28 01:30 does not exist in London (01:00 -> 02:00): taken as 02:30 BST.
  assert.equal(new Date(wallToInstant("2027-03-28", "01:30", "Europe/London")).toISOString(),
    "2027-03-28T01:30:00.000Z");
  // 2026-10-25 01:30 happens twice: the first (BST, 00:30Z) is meant.
  assert.equal(new Date(wallToInstant("2026-10-25", "01:30", "Europe/London")).toISOString(),
    "2026-10-25T00:30:00.000Z");
});

test("an instant's local date and time across midnight", () => {
  assert.equal(localDate("2026-12-01T14:00:00Z", "Australia/Adelaide"), "2026-12-02");
  assert.equal(localTime("2026-12-01T14:00:00Z", "Australia/Adelaide"), "00:30");
  assert.equal(localMinutes("2026-12-01T14:00:00Z", "America/St_Johns"), 10 * 60 + 30);
});

test("calendar helpers", () => {
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(addDays("2028-03-01", -1), "2028-02-29");
  assert.equal(weekday("2026-11-30"), "mon");
  assert.equal(weekStart("2026-12-06"), "2026-11-30");
  assert.equal(weekStart("2026-11-30"), "2026-11-30");
  assert.equal(minutesOf("24:00"), 1440);
  assert.equal(timeOf(13 * 60 + 45), "13:45");
});
