// Services & rules: the active services (add, edit, remove) and the booking rules of the managed business.
import { api } from "../api.js";
import { busy, field, formStatus, h, replace, srOnly } from "../dom.js";
import { CURRENCIES, formatPrice, fractionDigits, minorToMajor, parsePrice } from "../money.js";

const DURATIONS = steps(15, 480, 15);
const BUFFERS = steps(0, 120, 15);
// The ranges are the API's (docs/api.md, Providers); the API checks them and its refusal is shown as sent.
const RULES = [
  { key: "min_notice_minutes", label: "Minimum notice (minutes)",
    hint: "How soon before its start a booking may be made: 0 to 43200 (30 days).", min: 0, max: 43200 },
  { key: "max_days_ahead", label: "Booking horizon (days)",
    hint: "How many days ahead customers may book: 1 to 60.", min: 1, max: 60 },
  { key: "hold_minutes", label: "Hold length (minutes)",
    hint: "How long a time is kept for a customer while they book: 1 to 60.", min: 1, max: 60 },
  { key: "cancel_cutoff_minutes", label: "Cancellation cut-off (minutes)",
    hint: "Customers cannot cancel or move a booking this close to its start: 0 to 43200 (30 days).",
    min: 0, max: 43200 },
];

let categoryNames = null;
let formCount = 0;

function steps(from, to, step) {
  const out = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** "1 h 30 min", "45 min", "2 h"; "None" for 0. */
export function durationLabel(minutes) {
  if (!minutes) return "None";
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest} min`;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

async function loadCategoryNames() {
  if (!categoryNames) {
    const answer = await api("GET", "/v1/categories", { auth: false });
    categoryNames = new Map(answer.categories.map((c) => [c.id, c.name]));
  }
  return categoryNames;
}

function options(values, label, chosen) {
  const list = values.map((v) => h("option", { value: String(v) }, label(v)));
  const select = h("select", {}, list);
  select.value = String(chosen);
  return select;
}

function cell(label, ...content) {
  return h("td", { "data-label": label }, content);
}

/**
 * The add/edit form of a service. onSubmit(fields) gets {name, category, duration_minutes, buffer_minutes,
 * price: {amount, currency}} once the form's own checks pass; it runs under busy(), so a refusal is shown.
 */
function serviceForm({ service, categories, names, currency, heading, submitLabel, onSubmit, onCancel }) {
  formCount += 1;
  const headingId = `service-form-${formCount}`;
  const name = h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off",
    value: service?.name ?? "" });
  const ids = [...categories];
  if (service && !ids.includes(service.category)) ids.push(service.category);
  const category = options(ids, (id) => names.get(id) || id, service?.category ?? ids[0]);
  const duration = options(DURATIONS, durationLabel, service?.duration_minutes ?? 60);
  const buffer = options(BUFFERS, durationLabel, service?.buffer_minutes ?? 0);
  const codes = [...CURRENCIES];
  const chosenCurrency = service?.price.currency ?? currency;
  if (!codes.includes(chosenCurrency)) codes.unshift(chosenCurrency);
  const money = options(codes, (c) => c, chosenCurrency);
  const price = h("input", { name: "price", inputmode: "decimal", autocomplete: "off", required: true,
    value: service ? minorToMajor(service.price.amount, service.price.currency) : "" });
  const priceHintText = (code) => {
    const digits = fractionDigits(code);
    return digits ? `In ${code}, with at most ${digits} decimals, e.g. 45.${"0".repeat(digits)}.`
      : `In ${code}, a whole number, e.g. 4500.`;
  };
  const priceField = field("Price", price, priceHintText(money.value));
  const priceHint = priceField.querySelector(".hint");
  const showPriceHint = () => { priceHint.textContent = priceHintText(money.value); };
  money.addEventListener("change", showPriceHint);
  const status = formStatus();
  const submit = h("button", { type: "submit" }, submitLabel);
  const cancel = onCancel ? h("button", { type: "button", class: "secondary", onclick: onCancel }, "Cancel") : null;

  const form = h("form", { class: "service-form", novalidate: true, "aria-labelledby": headingId },
    heading(headingId),
    h("div", { class: "row" }, field("Name", name), field("Category", category)),
    h("div", { class: "row" }, field("Duration", duration), field("Buffer after", buffer,
      "Free time kept after each booking.")),
    h("div", { class: "row" }, priceField, field("Currency", money)),
    h("div", { class: "actions" }, submit, cancel),
    status.el);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.clear();
    name.removeAttribute("aria-invalid");
    price.removeAttribute("aria-invalid");
    if (!name.value.trim()) {
      name.setAttribute("aria-invalid", "true");
      status.error(new Error("Name: give the service a name, e.g. Deep tissue massage."));
      name.focus();
      return;
    }
    let amount;
    try {
      amount = parsePrice(price.value, money.value);
    } catch (err) {
      price.setAttribute("aria-invalid", "true");
      status.error(err);
      price.focus();
      return;
    }
    busy(submit, status, () => onSubmit({
      name: name.value.trim(), category: category.value, duration_minutes: Number(duration.value),
      buffer_minutes: Number(buffer.value), price: { amount, currency: money.value },
    }, status));
  });
  return { form, focus: () => name.focus(), reset: () => { name.value = ""; price.value = ""; } };
}

/** Only the fields that differ from the service (the price goes whole: amount and currency). */
function changes(service, fields) {
  const body = {};
  for (const key of ["name", "category", "duration_minutes", "buffer_minutes"]) {
    if (fields[key] !== service[key]) body[key] = fields[key];
  }
  if (fields.price.amount !== service.price.amount || fields.price.currency !== service.price.currency) {
    body.price = fields.price;
  }
  return body;
}

function rulesForm(ctx) {
  const providerPath = () => `/v1/providers/${encodeURIComponent(ctx.provider.provider_id)}`;
  let current = ctx.provider.booking_rules;
  const status = formStatus();
  const auto = h("input", { type: "checkbox", name: "auto_confirm", id: "rule-auto-confirm",
    checked: current.auto_confirm, "aria-describedby": "rule-auto-confirm-hint" });
  const inputs = RULES.map((rule) => ({
    rule,
    input: h("input", { type: "number", name: rule.key, inputmode: "numeric", min: rule.min, max: rule.max,
      step: 1, required: true, value: String(current[rule.key]) }),
  }));
  const submit = h("button", { type: "submit" }, "Save rules");
  const form = h("form", { class: "card rules-form", novalidate: true, "aria-labelledby": "rules-heading" },
    h("div", { class: "field" },
      h("label", { class: "check", for: "rule-auto-confirm" }, auto, "Confirm bookings automatically"),
      h("small", { class: "hint", id: "rule-auto-confirm-hint" },
        "When off, each booking waits under Bookings for you to confirm or decline it.")),
    h("div", { class: "row" }, inputs.map(({ rule, input }) => field(rule.label, input, rule.hint))),
    submit, status.el);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.clear();
    const changed = {};
    if (auto.checked !== current.auto_confirm) changed.auto_confirm = auto.checked;
    for (const { rule, input } of inputs) {
      input.removeAttribute("aria-invalid");
      const text = input.value.trim();
      if (!/^-?\d{1,9}$/.test(text)) {
        input.setAttribute("aria-invalid", "true");
        status.error(new Error(`${rule.label}: type a whole number from ${rule.min} to ${rule.max}.`));
        input.focus();
        return;
      }
      if (Number(text) !== current[rule.key]) changed[rule.key] = Number(text);
    }
    if (Object.keys(changed).length === 0) {
      status.ok("Nothing to save: the rules are unchanged.");
      return;
    }
    busy(submit, status, async () => {
      const answer = await api("PATCH", providerPath(), { body: { booking_rules: changed } });
      ctx.setProvider(answer);
      current = answer.booking_rules;
      auto.checked = current.auto_confirm;
      for (const { rule, input } of inputs) input.value = String(current[rule.key]);
      status.ok("Rules saved.");
    });
  });
  return form;
}

export async function render(root, ctx) {
  const names = await loadCategoryNames();
  const servicesPath = () => `/v1/providers/${encodeURIComponent(ctx.provider.provider_id)}/services`;
  const listHeading = h("h2", { id: "services-heading", tabindex: "-1" }, "Services");
  const listStatus = formStatus();
  const list = h("div", { class: "services-list" });

  async function refresh(message) {
    await ctx.reloadProvider();
    drawList();
    if (message) listStatus.ok(message);
  }

  function serviceRow(service) {
    const status = formStatus();
    const actions = h("div", { class: "actions" });
    const edit = h("button", { type: "button", class: "secondary", "aria-label": `Edit ${service.name}`,
      "aria-expanded": "false" }, "Edit");
    const remove = h("button", { type: "button", class: "danger", "aria-label": `Remove ${service.name}` }, "Remove");
    const showButtons = () => replace(actions, edit, remove);
    showButtons();
    const row = h("tr", {},
      cell("Service", service.name),
      cell("Category", names.get(service.category) || service.category),
      cell("Duration", durationLabel(service.duration_minutes)),
      cell("Buffer", durationLabel(service.buffer_minutes)),
      cell("Price", formatPrice(service.price.amount, service.price.currency)),
      h("td", { class: "row-actions" }, actions, status.el));
    let editRow = null;

    const closeEdit = () => {
      editRow?.remove();
      editRow = null;
      edit.setAttribute("aria-expanded", "false");
      edit.focus();
    };
    edit.addEventListener("click", () => {
      if (editRow) { editRow.querySelector("input")?.focus(); return; }
      const editor = serviceForm({
        service, categories: ctx.provider.categories, names, currency: service.price.currency,
        heading: (id) => h("h3", { id }, `Edit ${service.name}`), submitLabel: "Save service",
        onCancel: closeEdit,
        onSubmit: async (fields, formStat) => {
          const body = changes(service, fields);
          if (Object.keys(body).length === 0) {
            formStat.ok("Nothing to save: no field was changed.");
            return;
          }
          await api("PATCH", `${servicesPath()}/${encodeURIComponent(service.service_id)}`, { body });
          await refresh(`Saved ${fields.name}.`);
          listHeading.focus();
        },
      });
      editRow = h("tr", { class: "edit-row" }, h("td", { colspan: 6 }, editor.form));
      row.after(editRow);
      edit.setAttribute("aria-expanded", "true");
      editor.focus();
    });

    remove.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "danger" }, "Yes, remove");
      const keep = h("button", { type: "button", class: "secondary" }, "Keep");
      replace(actions, h("span", { class: "ask" }, `Remove ${service.name}? `), yes, keep);
      keep.addEventListener("click", () => { status.clear(); showButtons(); remove.focus(); });
      yes.addEventListener("click", () => busy(yes, status, async () => {
        await api("DELETE", `${servicesPath()}/${encodeURIComponent(service.service_id)}`);
        await refresh(`Removed ${service.name}.`);
        listHeading.focus();
      }));
      keep.focus();
    });
    return row;
  }

  function drawList() {
    const services = ctx.provider.services || [];
    if (services.length === 0) {
      replace(list, h("p", { class: "empty" }, "No services yet: add the first one below. Customers can book only "
        + "what is listed here."));
      return;
    }
    replace(list, h("div", { class: "table-wrap" }, h("table", { class: "stack services-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Service"), h("th", { scope: "col" }, "Category"),
        h("th", { scope: "col" }, "Duration"), h("th", { scope: "col" }, "Buffer"), h("th", { scope: "col" }, "Price"),
        h("th", { scope: "col" }, srOnly("Actions")))),
      h("tbody", {}, services.map(serviceRow)))));
  }

  const first = (ctx.provider.services || [])[0];
  const adder = serviceForm({
    service: null, categories: ctx.provider.categories, names, currency: first ? first.price.currency : "EUR",
    heading: (id) => h("h2", { id }, "Add a service"), submitLabel: "Add service",
    onSubmit: async (fields, formStat) => {
      await api("POST", servicesPath(), { body: fields });
      adder.reset();
      await refresh();
      formStat.ok(`Added ${fields.name}.`);
    },
  });
  adder.form.classList.add("card");

  drawList();
  root.append(
    h("h1", {}, "Services & rules"),
    h("section", { "aria-labelledby": "services-heading" }, listHeading, list, listStatus.el),
    h("section", { class: "add-service" }, adder.form),
    h("section", { "aria-labelledby": "rules-heading" },
      h("h2", { id: "rules-heading" }, "Booking rules"), rulesForm(ctx)),
  );
}
