// Building the page from data without ever parsing user text as HTML: every string becomes a text node.

/** h("button", {type: "button", onclick: f}, "Save") -> an element; children may be strings, nodes or arrays. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    // A handler is a function; a string would be an inline script (the page's policy refuses those too).
    if (name.startsWith("on")) { if (typeof value === "function") el.addEventListener(name.slice(2), value); }
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value") el.value = value;
    else if (name === "checked") el.checked = Boolean(value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let fieldCount = 0;

/** A labelled form control: field("Name", h("input", {name: "name"})) -> a <div class="field">. */
export function field(label, control, hint) {
  fieldCount += 1;
  const id = control.id || `f${fieldCount}`;
  control.id = id;
  const hintNode = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode);
}

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A form's message line: shows an error (an ApiError's message) or a confirmation, announced to readers. */
export function formStatus() {
  const el = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  return {
    el,
    error(err) { el.className = "form-status error"; el.textContent = messageOf(err); },
    ok(text) { el.className = "form-status ok"; el.textContent = text; },
    clear() { el.className = "form-status"; el.textContent = ""; },
  };
}

/** The words to show for any error: the API's message, or a plain sentence for anything else. */
export function messageOf(err) {
  if (err && typeof err.message === "string" && err.message) return err.message;
  return "Something went wrong; please try again.";
}

/** Run an async action from a button or form, disabling the button meanwhile and reporting errors. */
export async function busy(button, status, action) {
  if (button) button.disabled = true;
  status?.clear();
  try {
    return await action();
  } catch (err) {
    if (status) status.error(err);
    else throw err;
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A visually hidden heading/label text for screen readers. */
export function srOnly(text) {
  return h("span", { class: "visually-hidden" }, text);
}
