// The console's shell: sign-in state, the business being managed, the sections and the page-wide notice.
import { api } from "./api.js";
import { currentSession, onExpiry, signOut } from "./auth.js";
import { h, messageOf, replace } from "./dom.js";
import * as bookings from "./views/bookings.js";
import * as profile from "./views/profile.js";
import * as schedule from "./views/schedule.js";
import * as services from "./views/services.js";
import * as signin from "./views/signin.js";

const PROVIDER_KEY = "console.provider";
const SECTIONS = { schedule, services, bookings, profile, onboarding: profile, signin };
const TITLES = {
  schedule: "Schedule", services: "Services & rules", bookings: "Bookings", profile: "Profile",
  onboarding: "Set up your business", signin: "Sign in",
};
const view = document.getElementById("view");
const notice = document.getElementById("notice");
let renderCount = 0;

const ctx = {
  provider: null,
  providers: [],
  get session() { return currentSession(); },
  navigate(section) {
    const hash = `#/${section}`;
    if (window.location.hash === hash) show();
    else window.location.hash = hash;
  },
  notify(message, kind = "info") {
    notice.className = `notice ${kind}`;
    replace(notice, h("span", {}, message),
      h("button", { type: "button", class: "link", "aria-label": "Dismiss", onclick: clearNotice }, "×"));
    notice.hidden = false;
  },
  clearNotice,
  /** Make a profile (just created or changed) the one managed, and refresh the business list. */
  setProvider(profile) {
    const known = ctx.providers.findIndex((p) => p.provider_id === profile.provider_id);
    if (known >= 0) ctx.providers[known] = profile;
    else ctx.providers.push(profile);
    ctx.provider = profile;
    sessionStorage.setItem(PROVIDER_KEY, profile.provider_id);
    drawAccount();
  },
  /** Read the managed profile again (after services or rules changed). */
  async reloadProvider() {
    if (!ctx.provider) return null;
    ctx.setProvider(await api("GET", `/v1/providers/${encodeURIComponent(ctx.provider.provider_id)}`));
    return ctx.provider;
  },
};

function clearNotice() {
  notice.hidden = true;
  replace(notice);
}

async function loadProviders() {
  const mine = [];
  let cursor = null;
  do {
    const page = await api("GET", "/v1/me/providers", { query: { limit: 100, cursor } });
    mine.push(...page.providers);
    cursor = page.next_cursor;
  } while (cursor);
  ctx.providers = mine;
  const wanted = sessionStorage.getItem(PROVIDER_KEY);
  ctx.provider = mine.find((p) => p.provider_id === wanted) || mine[0] || null;
}

function drawAccount() {
  const session = currentSession();
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  account.hidden = !session;
  nav.hidden = !session || !ctx.provider;
  if (!session) return;
  document.getElementById("who").textContent = session.email;
  const select = document.getElementById("provider-select");
  const options = ctx.providers.map((p) => h("option", { value: p.provider_id }, p.name));
  options.push(h("option", { value: "" }, "+ Add a business"));
  replace(select, options);
  select.value = ctx.provider ? ctx.provider.provider_id : "";
  select.parentElement.hidden = ctx.providers.length === 0;
}

function section() {
  const name = (window.location.hash.match(/^#\/([a-z]+)/) || [])[1];
  return name in SECTIONS ? name : null;
}

async function show() {
  const count = ++renderCount;
  let name = section();
  const session = currentSession();
  if (!session) {
    name = "signin";
  } else if (name === "signin" || name === null || (!ctx.provider && name !== "onboarding")) {
    name = ctx.provider ? "schedule" : "onboarding";
  }
  if (`#/${name}` !== window.location.hash) history.replaceState(null, "", `#/${name}`);
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.section === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[name]} · Provider console`;
  drawAccount();
  replace(view, h("p", { class: "loading" }, "Loading…"));
  try {
    const root = h("div", { class: `section section-${name}` });
    await SECTIONS[name].render(root, ctx, name);
    if (count !== renderCount) return; // a later navigation won
    replace(view, root);
    const heading = view.querySelector("h1");
    (heading || view).setAttribute("tabindex", "-1");
    (heading || view).focus({ preventScroll: true });
  } catch (err) {
    if (count !== renderCount) return;
    if (!currentSession()) return; // the session lapsed meanwhile: the expiry handler shows sign-in
    replace(view, h("div", { class: "section" }, h("h1", {}, TITLES[name]),
      h("p", { class: "form-status error", role: "alert" }, messageOf(err)),
      h("button", { type: "button", onclick: () => show() }, "Try again")));
  }
}

/** Called by the sign-in view once signed in. */
ctx.signedIn = async () => {
  clearNotice();
  await loadProviders();
  ctx.navigate(ctx.provider ? "schedule" : "onboarding");
};

onExpiry(() => {
  ctx.provider = null;
  ctx.providers = [];
  ctx.notify("Your session has expired. Please sign in again.", "warning");
  show();
});

document.getElementById("sign-out").addEventListener("click", () => {
  signOut();
  sessionStorage.removeItem(PROVIDER_KEY);
  ctx.provider = null;
  ctx.providers = [];
  ctx.notify("You are signed out.", "info");
  ctx.navigate("signin");
});

document.getElementById("provider-select").addEventListener("change", (event) => {
  const id = event.target.value;
  if (!id) {
    ctx.navigate("onboarding");
    return;
  }
  ctx.provider = ctx.providers.find((p) => p.provider_id === id) || ctx.provider;
  sessionStorage.setItem(PROVIDER_KEY, ctx.provider.provider_id);
  show();
});

window.addEventListener("hashchange", show);

async function start() {
  if (currentSession()) {
    try {
      await loadProviders();
    } catch (err) {
      if (currentSession()) ctx.notify(messageOf(err), "error");
    }
  }
  await show();
}

start();
