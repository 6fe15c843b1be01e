// Passkeys on the hosted pages, through the frontend API as clerk-js does:
// the server's options come in a verification's nonce (JSON with base64url
// fields); the browser's credential goes back as JSON in
// public_key_credential. The pages work without this script; it only adds
// passkeys where the browser can do them.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return { type: d.type, id: b64urlToBuf(d.id), transports: d.transports }; });
  }

  // api posts a form to the frontend API on this origin (the __client
  // cookie says who we are) and returns its "response", or throws the
  // first error's message.
  function api(method, path, fields) {
    var body = new URLSearchParams(fields || {});
    return fetch("/v1" + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: method === "GET" ? undefined : body
    }).then(function (res) {
      return res.json().then(function (j) {
        if (!res.ok) {
          var e = (j.errors && j.errors[0]) || {};
          throw new Error(e.long_message || e.message || "Something went wrong.");
        }
        return j.response;
      });
    });
  }

  function credentialJSON(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: bufToB64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: bufToB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = bufToB64url(r.authenticatorData);
      out.response.signature = bufToB64url(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64url(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function showError(el, msg) {
    if (!el) return;
    el.textContent = msg;
    el.hidden = false;
  }

  // Account page: "Add a passkey".
  var add = document.getElementById("passkey-add");
  if (add) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var err = document.getElementById("passkey-error");
      if (err) err.hidden = true;
      add.disabled = true;
      var id;
      api("POST", "/me/passkeys").then(function (pk) {
        id = pk.id;
        var o = JSON.parse(pk.verification.nonce);
        o.challenge = b64urlToBuf(o.challenge);
        o.user.id = b64urlToBuf(o.user.id);
        o.excludeCredentials = descriptors(o.excludeCredentials);
        return navigator.credentials.create({ publicKey: o });
      }).then(function (cred) {
        return api("POST", "/me/passkeys/" + encodeURIComponent(id) + "/attempt_verification",
          { strategy: "passkey", public_key_credential: credentialJSON(cred) });
      }).then(function () {
        var to = "/user?done=passkey_added" + (add.dataset.redirect ? "&redirect_url=" + encodeURIComponent(add.dataset.redirect) : "") + "#passkeys";
        // Already there (a second passkey in a row): only a reload shows it.
        if (location.pathname + location.search + location.hash === to) location.reload();
        else location.assign(to);
      }).catch(function (e) {
        add.disabled = false;
        showError(err, e && e.name === "NotAllowedError" ? "The passkey was not created." : (e && e.message) || "The passkey was not created.");
      });
    });
  }

  // Sign-in page: the identifier field's autofill offers passkeys
  // (conditional mediation), and a button asks for one outright.
  var button = document.getElementById("passkey-sign-in");
  if (!button) return;
  var pending = null; // the AbortController of the request in progress
  // The server keeps one current sign-in per browser, and the one created
  // last wins. The autofill's sign-in is created as the page loads; a person
  // (or a slow network) can submit the identifier before it exists, and it
  // would then replace the sign-in that identifier started. So the form
  // waits for the autofill's sign-in to be created first.
  var creating = null; // settles once the autofill's sign-in exists (or will not be made)
  var autofillCreated = null;

  function signIn(mediation) {
    if (pending) pending.abort();
    var ctl = new AbortController();
    pending = ctl;
    var err = document.getElementById("passkey-error");
    var signInID;
    var created = api("POST", "/client/sign_ins", { strategy: "passkey" });
    if (mediation === "conditional") autofillCreated = created.then(function () {}, function () {});
    return created.then(function (si) {
      signInID = si.id;
      var o = JSON.parse(si.first_factor_verification.nonce);
      o.challenge = b64urlToBuf(o.challenge);
      o.allowCredentials = descriptors(o.allowCredentials);
      var req = { publicKey: o, signal: ctl.signal };
      if (mediation) req.mediation = mediation;
      return navigator.credentials.get(req);
    }).then(function (cred) {
      return api("POST", "/client/sign_ins/" + encodeURIComponent(signInID) + "/attempt_first_factor",
        { strategy: "passkey", public_key_credential: credentialJSON(cred) });
    }).then(function (si) {
      if (si.status === "complete") {
        // The pages send a signed-in browser on to where it was going.
        location.assign("/sign-in" + location.search);
      }
    }).catch(function (e) {
      if (ctl.signal.aborted) return; // replaced by another request
      if (mediation === "conditional" && e && e.name === "NotAllowedError") return;
      showError(err, e && e.name === "NotAllowedError" ? "No passkey was used." : (e && e.message) || "Signing in with a passkey failed.");
    });
  }

  var form = document.querySelector('form[action="/sign-in"]');
  if (form) {
    form.addEventListener("submit", function (e) {
      if (!creating) return;
      e.preventDefault();
      var submitter = e.submitter;
      creating.then(function () {
        creating = null;
        if (form.requestSubmit) form.requestSubmit(submitter || undefined);
        else form.submit();
      });
    });
  }

  button.hidden = false;
  button.addEventListener("click", function () { signIn(""); });
  if (PublicKeyCredential.isConditionalMediationAvailable) {
    var started = creating = PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (!ok) return;
      signIn("conditional");
      return autofillCreated;
    }).then(function () {}, function () {});
    started.then(function () { if (creating === started) creating = null; });
  }
})();
