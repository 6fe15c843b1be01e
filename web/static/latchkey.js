/*! Latchkey browser script: the signed-in user, fresh session tokens, and
 * the links to the hosted pages. Plain JavaScript, no dependencies.
 *
 *   <script src="https://auth.example.com/latchkey.js"></script>
 *   await Latchkey.load();  Latchkey.user  →  the signed-in user or null
 *
 * A __session cookie on the app's own domain always holds a fresh session
 * JWT, so the app's server can read it on page loads. The token lives as
 * long as the instance's sessions.token_lifetime (30 s to 1 h, 60 s by
 * default); the cookie and the refresh follow the token's own claims. */
(function (global) {
  "use strict";
  var base = "__LATCHKEY_PUBLIC_URL__";
  var RETRY_S = 5; // after a refresh that failed (network, server)
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

  // lifetime is how long the token is valid, in seconds, from its claims
  // (exp - iat: the server's clock, so a skewed browser clock does not
  // matter).
  function lifetime(jwt) {
    try {
      var seg = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var claims = JSON.parse(atob(seg));
      var s = claims.exp - claims.iat;
      if (s > 0) return s;
    } catch (e) { /* fall through */ }
    return 60;
  }

  function setSessionCookie(jwt, maxAge) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "__session=" + jwt + "; Path=/; Max-Age=" + maxAge + "; SameSite=Lax" + secure;
  }

  // scheduleRefresh gets a new token before the current one expires: 10 s
  // ahead, or half-way for short lifetimes.
  function scheduleRefresh(seconds) {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () {
      getToken().catch(function () { scheduleRefresh(RETRY_S); });
    }, seconds * 1000);
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
    clearTimeout(state.timer);
    clearSessionCookie();
  }

  // getToken returns a fresh session JWT (and refreshes the cookie), or null
  // when nobody is signed in.
  function getToken() {
    if (!state.session) return Promise.resolve(null);
    return api("POST", "/client/sessions/" + state.session.id + "/tokens").then(function (data) {
      if (!state.session) return null; // signed out while the request was in flight
      var ttl = lifetime(data.jwt);
      setSessionCookie(data.jwt, ttl);
      scheduleRefresh(Math.max(ttl - 10, ttl / 2));
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
      return getToken().then(function () { return Latchkey; });
    });
  }

  function hosted(path, opts) {
    var back = (opts && opts.redirectUrl) || location.href;
    location.assign(base + path + "?redirect_url=" + encodeURIComponent(back));
  }

  // signOut ends every session on this browser, as Clerk's does;
  // signOut({sessionId}) ends just that one (multi-session apps).
  function signOut(opts) {
    var done = function () {
      signedOut();
      if (opts && opts.redirectUrl) location.assign(opts.redirectUrl);
    };
    if (opts && opts.sessionId) {
      return api("POST", "/client/sessions/" + encodeURIComponent(opts.sessionId) + "/end").then(done, done);
    }
    if (!state.client) { done(); return Promise.resolve(); }
    return api("DELETE", "/client/sessions").then(done, done);
  }

  // A tab coming back to the foreground may hold an expired cookie.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.session) getToken().catch(function () {});
  });

  var Latchkey = {
    load: load,
    getToken: getToken,
    signOut: signOut,
    redirectToSignIn: function (opts) { hosted("/sign-in", opts); },
    redirectToSignUp: function (opts) { hosted("/sign-up", opts); },
    openUserProfile: function (opts) { hosted("/user", opts); },
    get user() { return state.user; },
    get session() { return state.session; },
    get client() { return state.client; },
    get isSignedIn() { return !!state.session; }
  };
  global.Latchkey = Latchkey;
})(window);
