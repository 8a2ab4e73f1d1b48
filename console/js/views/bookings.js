// Bookings: the requests waiting for a decision, any day's bookings, and the calendar feed's address.
// Every time is on the provider's clock (ctx.provider.timezone), whatever the browser's zone.
import { api } from "../api.js";
import { busy, field, formStatus, h, replace, srOnly } from "../dom.js";
import { dayLabel, localDate, localTime, today } from "../time.js";

const WORDS = { PENDING: "Pending", CONFIRMED: "Confirmed", CANCELED: "Canceled", DECLINED: "Declined" };
const FILTERS = [["", "Any"], ["PENDING", "Pending"], ["CONFIRMED", "Confirmed"], ["CANCELED", "Canceled"],
  ["DECLINED", "Declined"]];
const MAX_PAGES = 50; // of 100: more waiting requests than that is not a list anyone reads through
const PAGE = 50;

/** A status line that can take focus, for when the button just used has gone with the redrawn list. */
function outcomeLine() {
  const status = formStatus();
  status.el.tabIndex = -1;
  return status;
}

function badge(status) {
  return h("span", { class: status in WORDS ? `badge ${status}` : "badge" }, WORDS[status] || status);
}

export async function render(root, ctx) {
  const tz = ctx.provider.timezone;
  const bookingsPath = `/v1/providers/${encodeURIComponent(ctx.provider.provider_id)}/bookings`;
  const serviceNames = new Map((ctx.provider.services || []).map((s) => [s.service_id, s.name]));
  const serviceOf = (b) => serviceNames.get(b.service_id) || "a service no longer offered";
  const times = (b) => `${localTime(b.start, tz)}–${localTime(b.end, tz)}`;
  const when = (b) => `${dayLabel(localDate(b.start, tz))}, ${times(b)}`;

  // --- the decisions, shared by the waiting list and the table -------------------------------------
  // Each puts its buttons into `actions`, reports refusals in `status` (next to them), and on success
  // says so on the section's `outcome` line and redraws both lists.

  function reasonForm({ actions, status, outcome, booking, label, submitLabel, path, done, back }) {
    const reason = h("input", { name: "reason", maxlength: 500, autocomplete: "off" });
    const submit = h("button", { type: "submit", class: "danger" }, submitLabel);
    const backButton = h("button", { type: "button", class: "secondary" }, "Back");
    const form = h("form", { class: "reason-form", novalidate: true },
      field(label, reason, "Optional; the customer sees it."), h("div", { class: "actions" }, submit, backButton));
    backButton.addEventListener("click", () => { status.clear(); back(); });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      busy(submit, status, async () => {
        const answer = await api("POST", `/v1/bookings/${encodeURIComponent(booking.booking_id)}/${path}`,
          { body: text ? { reason: text } : {} });
        await changed(answer, `${done} ${when(booking)}.`, outcome);
      });
    });
    replace(actions, form);
    reason.focus();
  }

  function decisionButtons(booking, actions, status, outcome) {
    const label = when(booking);
    const buttons = [];
    if (booking.status === "PENDING") {
      const confirm = h("button", { type: "button", "aria-label": `Confirm booking ${label}` }, "Confirm");
      confirm.addEventListener("click", () => busy(confirm, status, async () => {
        const answer = await api("POST", `/v1/bookings/${encodeURIComponent(booking.booking_id)}/confirm`);
        await changed(answer, `Confirmed ${label}.`, outcome);
      }));
      const decline = h("button", { type: "button", class: "danger", "aria-label": `Decline booking ${label}` },
        "Decline");
      decline.addEventListener("click", () => reasonForm({
        actions, status, outcome, booking, label: "Reason for declining", submitLabel: "Decline booking",
        path: "decline", done: "Declined", back: () => { show(); decline.focus(); },
      }));
      buttons.push(confirm, decline);
    }
    if ((booking.status === "PENDING" || booking.status === "CONFIRMED") && Date.parse(booking.start) > Date.now()) {
      const cancel = h("button", { type: "button", class: "danger", "aria-label": `Cancel booking ${label}` },
        "Cancel…");
      cancel.addEventListener("click", () => reasonForm({
        actions, status, outcome, booking, label: "Reason for canceling", submitLabel: "Cancel booking",
        path: "cancel", done: "Canceled", back: () => { show(); cancel.focus(); },
      }));
      buttons.push(cancel);
    }
    const show = () => replace(actions, buttons);
    show();
    return buttons.length > 0;
  }

  // --- waiting for you ---------------------------------------------------------------------------------
  const waitingOutcome = outcomeLine();
  const waitingLoad = formStatus();
  const waiting = h("div", { class: "waiting" });

  async function loadWaiting() {
    const found = [];
    let cursor = null;
    let pages = 0;
    do {
      const page = await api("GET", bookingsPath,
        { query: { status: "PENDING", from: today(tz), limit: 100, cursor } });
      found.push(...page.bookings);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor && pages < MAX_PAGES);
    drawWaiting(found, Boolean(cursor));
  }

  function drawWaiting(found, more) {
    if (found.length === 0) {
      replace(waiting, h("p", { class: "empty" }, "Nothing waiting."));
      return;
    }
    replace(waiting,
      h("ul", { class: "booking-cards" }, found.map((b) => {
        const status = formStatus();
        const actions = h("div", { class: "actions" });
        decisionButtons(b, actions, status, waitingOutcome);
        return h("li", { class: "card booking-card" },
          h("p", { class: "booking-when" }, h("strong", {}, when(b))),
          h("p", { class: "booking-service" }, serviceOf(b)),
          b.note ? h("p", { class: "booking-note" }, h("span", { class: "note-label" }, "Note: "), b.note)
            : h("p", { class: "booking-note none" }, "No note."),
          actions, status.el);
      })),
      more ? h("p", { class: "hint" }, `Showing the first ${found.length}; decide these to see the rest.`) : null);
  }

  // --- all bookings ------------------------------------------------------------------------------------
  const tableOutcome = outcomeLine();
  const filterStatus = formStatus();
  const day = h("input", { type: "date", name: "day", required: true, value: today(tz) });
  const statusFilter = h("select", { name: "status" }, FILTERS.map(([value, text]) => h("option", { value }, text)));
  const showButton = h("button", { type: "submit" }, "Show");
  const filters = h("form", { class: "row filters", novalidate: true, "aria-label": "Which bookings" },
    field("Day", day), field("Status", statusFilter), h("div", { class: "field" }, showButton));
  const table = h("div", { class: "bookings-table" });
  const shown = { day: day.value, status: "", bookings: [], cursor: null };

  async function loadTable(more) {
    const query = { from: shown.day, to: shown.day, status: shown.status, limit: PAGE,
      cursor: more ? shown.cursor : null };
    const page = await api("GET", bookingsPath, { query });
    shown.bookings = more ? shown.bookings.concat(page.bookings) : page.bookings;
    shown.cursor = page.next_cursor;
    drawTable();
  }

  function bookingRow(b) {
    const status = formStatus();
    const actions = h("div", { class: "actions" });
    decisionButtons(b, actions, status, tableOutcome);
    return h("tr", {},
      h("td", { "data-label": "Time" }, times(b)),
      h("td", { "data-label": "Service" }, serviceOf(b)),
      h("td", { "data-label": "Status" }, badge(b.status)),
      h("td", { "data-label": "Note" }, b.note || "—"),
      h("td", { "data-label": "Reason" }, b.reason || "—"),
      h("td", { class: "row-actions" }, actions, status.el));
  }

  function drawTable() {
    const word = shown.status ? `${WORDS[shown.status].toLowerCase()} ` : "";
    if (shown.bookings.length === 0) {
      replace(table, h("p", { class: "empty" }, `No ${word}bookings on ${dayLabel(shown.day)}.`));
      return;
    }
    const more = shown.cursor ? h("button", { type: "button", class: "secondary" }, "More") : null;
    more?.addEventListener("click", () => busy(more, filterStatus, () => loadTable(true)));
    replace(table,
      h("div", { class: "table-wrap" }, h("table", { class: "stack" },
        h("caption", {}, `${word ? WORDS[shown.status] : "All"} bookings on ${dayLabel(shown.day)}`),
        h("thead", {}, h("tr", {}, ["Time", "Service", "Status", "Note", "Reason"].map(
          (text) => h("th", { scope: "col" }, text)), h("th", { scope: "col" }, srOnly("Actions")))),
        h("tbody", {}, shown.bookings.map(bookingRow)))),
      more);
  }

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day.value)) {
      filterStatus.error(new Error("Day: pick a date."));
      day.focus();
      return;
    }
    busy(showButton, filterStatus, async () => {
      shown.day = day.value;
      shown.status = statusFilter.value;
      tableOutcome.clear();
      await loadTable(false);
    });
  });

  /** After a decision: say so, show the new state in the table, read the waiting list again. */
  async function changed(answer, message, outcome) {
    waitingOutcome.clear();
    tableOutcome.clear();
    shown.bookings = shown.bookings.map((b) => (b.booking_id === answer.booking_id ? answer : b));
    drawTable();
    waitingLoad.clear();
    try {
      await loadWaiting();
    } catch (err) {
      waitingLoad.error(err);
    }
    outcome.ok(message);
    outcome.el.focus();
  }

  // --- the calendar feed -------------------------------------------------------------------------------
  const feedPath = `/v1/providers/${encodeURIComponent(ctx.provider.provider_id)}/calendar-feed`;
  const feedStatus = formStatus();
  const feed = h("div", { class: "feed" });
  const showLink = h("button", { type: "button", class: "secondary" }, "Show calendar link");
  showLink.addEventListener("click", () => busy(showLink, feedStatus, async () => {
    const { url } = await api("GET", feedPath);
    drawFeed(url);
    showLink.hidden = true;
    feed.querySelector("input").focus();
  }));

  function drawFeed(url) {
    const link = h("input", { type: "text", readonly: true, value: url, class: "feed-link", spellcheck: "false" });
    link.addEventListener("focus", () => link.select());
    const copy = h("button", { type: "button" }, "Copy link");
    copy.addEventListener("click", async () => {
      feedStatus.clear();
      try {
        await navigator.clipboard.writeText(url);
        feedStatus.ok("Link copied.");
      } catch {
        link.focus();
        link.select();
        feedStatus.error(new Error("The browser did not let the console copy; the link is selected: "
          + "press Ctrl+C (⌘C on a Mac) to copy it."));
      }
    });
    const rotate = h("button", { type: "button", class: "secondary" }, "Make a new link");
    const rotateArea = h("div", { class: "actions" }, copy, rotate);
    rotate.addEventListener("click", () => {
      feedStatus.clear();
      const yes = h("button", { type: "button", class: "danger" }, "Yes, make a new link");
      const keep = h("button", { type: "button", class: "secondary" }, "Keep this link");
      replace(rotateArea, h("span", { class: "ask" },
        "The old link will stop working: calendars subscribed to it stop updating. Make a new link? "), yes, keep);
      keep.addEventListener("click", () => { replace(rotateArea, copy, rotate); rotate.focus(); });
      yes.addEventListener("click", () => busy(yes, feedStatus, async () => {
        const answer = await api("POST", `${feedPath}/rotate`);
        drawFeed(answer.url);
        feedStatus.ok("New link made. The old link no longer works; subscribe your calendar to this one.");
        feed.querySelector("input").focus();
      }));
      keep.focus();
    });
    replace(feed, field("Calendar link", link,
      "Keep it private: anyone with this link can read your bookings' times and notes."), rotateArea);
  }

  // --- first draw --------------------------------------------------------------------------------------
  const first = await Promise.allSettled([loadWaiting(), loadTable(false)]);
  if (first[0].status === "rejected") waitingLoad.error(first[0].reason);
  if (first[1].status === "rejected") filterStatus.error(first[1].reason);

  root.append(
    h("h1", {}, "Bookings"),
    h("section", { "aria-labelledby": "waiting-heading" },
      h("h2", { id: "waiting-heading" }, "Waiting for you"),
      h("p", { class: "lead" }, "Requests from today on that wait for you to confirm or decline them."),
      waitingLoad.el, waitingOutcome.el, waiting),
    h("section", { "aria-labelledby": "all-heading" },
      h("h2", { id: "all-heading" }, "All bookings"),
      filters, filterStatus.el, tableOutcome.el, table),
    h("section", { "aria-labelledby": "feed-heading" },
      h("h2", { id: "feed-heading" }, "Calendar subscription"),
      h("p", {}, "Subscribe to your bookings from a calendar app (Google Calendar, Apple Calendar, Outlook): "
        + "pending and confirmed bookings appear there, refreshed about every 15 minutes."),
      showLink, feed, feedStatus.el),
  );
}
