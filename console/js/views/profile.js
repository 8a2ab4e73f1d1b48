// The business profile: created at onboarding, edited later (name, description, categories, place, time zone).
import { api } from "../api.js";
import { busy, field, formStatus, h } from "../dom.js";

let categories = null;

async function loadCategories() {
  if (!categories) categories = (await api("GET", "/v1/categories", { auth: false })).categories;
  return categories;
}

function zones() {
  try { return Intl.supportedValuesOf("timeZone"); } catch { return ["UTC"]; }
}

function numberOrNull(text) {
  const value = text.trim();
  return value === "" ? null : Number(value);
}

export async function render(root, ctx, name) {
  const creating = name === "onboarding" || !ctx.provider;
  const current = creating ? null : ctx.provider;
  const all = await loadCategories();
  const status = formStatus();

  const nameInput = h("input", { name: "name", required: true, maxlength: 200, value: current?.name ?? "" });
  const description = h("textarea", { name: "description", rows: 3, maxlength: 4000 });
  description.value = current?.description ?? "";
  const chosen = new Set(current?.categories ?? []);
  const boxes = all.map((c) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "categories", value: c.id, checked: chosen.has(c.id) }), c.name));
  const address = h("input", { name: "address", maxlength: 300, autocomplete: "street-address",
    value: current?.location?.address ?? "" });
  const lat = h("input", { name: "lat", inputmode: "decimal", value: current?.location?.lat ?? "" });
  const lon = h("input", { name: "lon", inputmode: "decimal", value: current?.location?.lon ?? "" });
  const here = h("button", { type: "button", class: "secondary" }, "Use my location");
  here.addEventListener("click", () => {
    if (!navigator.geolocation) {
      status.error(new Error("This browser cannot tell its location; type the latitude and longitude."));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => { lat.value = pos.coords.latitude.toFixed(5); lon.value = pos.coords.longitude.toFixed(5); },
      () => status.error(new Error("The location was not shared; type the latitude and longitude.")));
  });
  const zoneList = h("datalist", { id: "zones" }, zones().map((z) => h("option", { value: z })));
  const zone = h("input", { name: "timezone", list: "zones", required: true, autocomplete: "off",
    value: current?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone });
  const submit = h("button", { type: "submit" }, creating ? "Create business" : "Save profile");

  const form = h("form", { class: "card", novalidate: true },
    field("Business name", nameInput),
    field("Description", description, "What customers should know (up to 4000 characters)."),
    h("fieldset", {}, h("legend", {}, "Categories"), h("div", { class: "checks" }, boxes)),
    h("fieldset", {}, h("legend", {}, "Where you work"),
      field("Address", address),
      h("div", { class: "row" }, field("Latitude", lat, "-90 to 90"), field("Longitude", lon, "-180 to 180")),
      here),
    field("Time zone", zone, "Your hours and bookings are shown on this clock (an IANA name, e.g. Europe/London)."),
    zoneList, submit, status.el);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      name: nameInput.value.trim(),
      description: description.value,
      categories: boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value),
      location: { lat: numberOrNull(lat.value), lon: numberOrNull(lon.value) },
      timezone: zone.value.trim(),
    };
    if (address.value.trim()) body.location.address = address.value.trim();
    busy(submit, status, async () => {
      if (creating) {
        const created = await api("POST", "/v1/providers", { body });
        ctx.setProvider(created);
        ctx.notify(`${created.name} is set up. Next, set your working hours.`, "success");
        ctx.navigate("schedule");
      } else {
        const saved = await api("PATCH", `/v1/providers/${encodeURIComponent(current.provider_id)}`, { body });
        ctx.setProvider(saved);
        status.ok("Profile saved.");
      }
    });
  });

  root.append(
    h("h1", {}, creating ? "Set up your business" : "Profile"),
    creating ? h("p", { class: "lead" }, "Tell customers who you are and where you work. You can change it later.")
      : null,
    form,
  );
}
