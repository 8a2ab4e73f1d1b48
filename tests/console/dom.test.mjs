// console/js/dom.js builds elements from data with text nodes only; run by `node --test` with a minimal
// stand-in for the browser's document (tests/unit/test_console_scripts.py runs them).
import { test } from "node:test";
import assert from "node:assert/strict";

class FakeNode {}
class FakeText extends FakeNode {
  constructor(data) { super(); this.data = data; }
}
class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tag = tag;
    this.attributes = new Map();
    this.listeners = new Map();
    this.children = [];
    this.dataset = {};
  }
  setAttribute(name, value) { this.attributes.set(name, String(value)); }
  addEventListener(type, listener) { this.listeners.set(type, listener); }
  append(...nodes) { this.children.push(...nodes); }
  replaceChildren(...nodes) { this.children = [...nodes]; }
}

globalThis.Node = FakeNode;
globalThis.document = { createElement: (tag) => new FakeElement(tag), createTextNode: (data) => new FakeText(data) };
const { h, replace } = await import("../../console/js/dom.js");

const PAYLOADS = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "a & b", "<b>Spa</b>"];

test("user text becomes one text node, never markup", () => {
  for (const text of PAYLOADS) {
    const el = h("p", {}, "Booked at ", text);
    assert.equal(el.children.length, 2);
    assert.ok(el.children.every((child) => child instanceof FakeText));
    assert.equal(el.children[1].data, text);
    const again = replace(h("div"), [text]);
    assert.ok(again.children[0] instanceof FakeText && again.children[0].data === text);
  }
});

test("user text in an attribute is its value as a string, not a new attribute", () => {
  const el = h("input", { "aria-label": PAYLOADS[1], title: PAYLOADS[0] });
  assert.deepEqual([...el.attributes.keys()], ["aria-label", "title"]);
  assert.equal(el.attributes.get("aria-label"), PAYLOADS[1]);
});

test("a handler is only ever a function: a string is not set as an inline script", () => {
  const clicked = () => {};
  const el = h("button", { onclick: "alert(1)", onmouseover: clicked });
  assert.equal(el.attributes.has("onclick"), false);
  assert.equal(el.listeners.has("click"), false);
  assert.equal(el.listeners.get("mouseover"), clicked);
});
