/*! Latchkey browser script: the signed-in user, fresh session tokens, and
 * the links to the hosted pages. Plain JavaScript, no dependencies.
 *
 *   <script src="https://auth.example.com/latchkey.js"></script>
 *   await Latchkey.load();  Latchkey.user  →  the signed-in user or null
 *
 * A __session cookie on the app's own domain always holds a fresh session
 * JWT (60 s), so the app's server can read it on page loads. */
(function (global) {
  "use strict";
  var base = "__LATCHKEY_PUBLIC_URL__";
  var REFRESH_MS = 50000; // before the 60 s token expires
  var state = { client: null, session: null, user: null, timer: null };

  function api(method, path, form) {
    var opts = { method: method, credentials: "include", headers: {} };
    if (form) {
      opts.headers["Content-Type"] = "application/x-www-form-urlencoded";
      opts.body = new URLSearchParams(form).toString();
    }
    return fetch(base + "/v1" + path, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var first = (data.errors && data.errors[0]) || {};
          var err = new Error(first.long_message || first.message || "Request failed (" + res.status + ")");
          err.status = res.status;
          err.code = first.code;
          throw err;
        }
        return data;
      });
    });
  }

  function setSessionCookie(jwt) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "__session=" + jwt + "; Path=/; Max-Age=60; SameSite=Lax" + secure;
  }

  function clearSessionCookie() {
    document.cookie = "__session=; Path=/; Max-Age=0; SameSite=Lax";
  }

  function activeSession(client) {
    if (!client || !client.sessions) return null;
    for (var i = 0; i < client.sessions.length; i++) {
      if (client.sessions[i].id === client.last_active_session_id) return client.sessions[i];
    }
    return null;
  }

  function signedOut() {
    state.session = null;
    state.user = null;
    clearInterval(state.timer);
    clearSessionCookie();
  }

  // getToken returns a fresh session JWT (and refreshes the cookie), or null
  // when nobody is signed in.
  function getToken() {
    if (!state.session) return Promise.resolve(null);
    return api("POST", "/client/sessions/" + state.session.id + "/tokens").then(function (data) {
      setSessionCookie(data.jwt);
      return data.jwt;
    }, function (err) {
      if (err.status === 401 || err.status === 404) { signedOut(); return null; }
      throw err;
    });
  }

  function load() {
    return api("GET", "/client").then(function (data) {
      state.client = data.response;
      state.session = activeSession(state.client);
      state.user = state.session ? state.session.user : null;
      if (!state.session) { signedOut(); return Latchkey; }
      return getToken().then(function () {
        clearInterval(state.timer);
        state.timer = setInterval(getToken, REFRESH_MS);
        return Latchkey;
      });
    });
  }

  function hosted(path, opts) {
    var back = (opts && opts.redirectUrl) || location.href;
    location.assign(base + path + "?redirect_url=" + encodeURIComponent(back));
  }

  function signOut(opts) {
    var done = function () {
      signedOut();
      if (opts && opts.redirectUrl) location.assign(opts.redirectUrl);
    };
    if (!state.session) { done(); return Promise.resolve(); }
    return api("POST", "/client/sessions/" + state.session.id + "/end").then(done, done);
  }

  // A tab coming back to the foreground may hold an expired cookie.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.session) getToken();
  });

  var Latchkey = {
    load: load,
    getToken: getToken,
    signOut: signOut,
    redirectToSignIn: function (opts) { hosted("/sign-in", opts); },
    redirectToSignUp: function (opts) { hosted("/sign-up", opts); },
    openUserProfile: function () { location.assign(base + "/user"); },
    get user() { return state.user; },
    get session() { return state.session; },
    get client() { return state.client; },
    get isSignedIn() { return !!state.session; }
  };
  global.Latchkey = Latchkey;
})(window);
