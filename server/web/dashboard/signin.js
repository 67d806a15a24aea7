// Manager sign-in shared by the dashboard (/dashboard) and the report page (/reports).
// The session token lives in sessionStorage through HallQ; nothing else is stored.
"use strict";

const ManagerSignIn = (() => {
  const ROLES = new Set(["manager", "admin", "chief"]);

  // A DOM element with attributes (class, data-*, properties) and children: what both pages draw with.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
    }
    for (const child of children) node.append(child == null ? "" : child);
    return node;
  }

  // The sign-in card, drawn at the top of <main> (hidden until it is needed).
  function drawForm() {
    const form = el("form", { id: "login-form", autocomplete: "off" },
      el("label", {}, "用户名 ", el("input", { name: "username", id: "login-user", required: true })),
      el("label", {}, "密码 ", el("input", { name: "password", id: "login-pass", type: "password", required: true })),
      el("button", { class: "primary", type: "submit", id: "login-submit" }, "登录"));
    const errorBox = el("p", { id: "login-error", class: "error", role: "alert" });
    const section = el("section", { id: "view-login", class: "card narrow", hidden: true }, el("h2", {}, "管理人员登录"), form, errorBox);
    document.querySelector("main").prepend(section);
    return { form, errorBox };
  }

  // Resolve with the signed-in person once they are a manager-level user; show the form until then.
  async function require(allowed = ROLES) {
    const { form, errorBox } = drawForm();
    if (HallQ.token()) {
      try {
        const me = await HallQ.api("GET", "/auth/me");
        if (allowed.has(me.role)) return me;
        HallQ.setToken(null);
      } catch (_) { HallQ.setToken(null); }
    }
    form.closest("section").hidden = false;
    return new Promise((resolve) => {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        errorBox.textContent = "";
        try {
          await HallQ.login(form.elements.username.value.trim(), form.elements.password.value);
          const me = await HallQ.api("GET", "/auth/me");
          if (!allowed.has(me.role)) {
            await HallQ.logout().catch(() => {});
            errorBox.textContent = "该账号没有查看权限，请使用大厅管理人员账号登录";
            return;
          }
          form.closest("section").hidden = true;
          resolve(me);
        } catch (error) {
          errorBox.textContent = error.message || "登录失败";
        }
      });
    });
  }

  async function signOut() {
    await HallQ.logout().catch(() => {});
    location.reload();
  }

  return { require, signOut, el };
})();
