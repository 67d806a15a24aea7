// Manager sign-in shared by the dashboard (/dashboard) and the report page (/reports).
// The session token lives in sessionStorage through HallQ; nothing else is stored.
"use strict";

const ManagerSignIn = (() => {
  const ROLES = new Set(["manager", "admin", "chief"]);

  // Resolve with the signed-in person once they are a manager-level user; show the form until then.
  async function require(form, errorBox, allowed = ROLES) {
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

  return { require, signOut };
})();
