import { h } from "./ui.js";

/** The login form: a plain form POST; the server sets the session cookie and sends us back to /. */
export function loginPage({ main, params }) {
  const failed = params.get("failed") === "1";
  main.append(
    h(
      "form",
      { method: "POST", action: "/login", class: "login", id: "login" },
      h("h1", {}, "Log in to docket"),
      failed ? h("p", { class: "bad", id: "login-failed" }, "Wrong password.") : null,
      h("label", { for: "password" }, "Password (the server's --requirepass)"),
      h("input", {
        type: "password",
        name: "password",
        id: "password",
        autocomplete: "current-password",
        required: true,
      }),
      h("button", { type: "submit" }, "Log in"),
    ),
  );
}
