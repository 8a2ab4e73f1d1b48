// Sign-in: e-mail and password against the user pool.
import { signIn } from "../auth.js";
import { busy, field, formStatus, h } from "../dom.js";

export async function render(root, ctx) {
  const status = formStatus();
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "card narrow", novalidate: true },
    field("E-mail", email), field("Password", password), submit, status.el);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      status.error(new Error("Enter your e-mail address and password."));
      return;
    }
    busy(submit, status, async () => {
      await signIn(email.value.trim(), password.value);
      password.value = "";
      await ctx.signedIn();
    });
  });
  root.append(h("h1", {}, "Sign in"), h("p", { class: "lead" }, "Manage your hours, services and bookings."), form);
}
