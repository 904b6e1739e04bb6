// Passkey ceremonies (WebAuthn) for the sign-in page and the account's passkeys page.
//
// The server puts the options in a <script type="application/json"> element; this script turns
// their base64url fields into bytes, asks the browser, and posts the answer back as JSON (the
// shape py_webauthn reads) in the form's hidden `credential` field. No inline script or
// handlers, so the pages keep a CSP of `script-src 'self'`. The buttons start disabled and are
// enabled only where the browser can do WebAuthn. What it says to people comes translated from
// the page, in data attributes of the error paragraph.
"use strict";

(function () {
  function toBuffer(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0)).buffer;
  }

  function toBase64url(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withBufferIds(descriptors) {
    return (descriptors || []).map((descriptor) => ({ ...descriptor, id: toBuffer(descriptor.id) }));
  }

  function readOptions(element) {
    return JSON.parse(element.textContent);
  }

  function creationOptions(options) {
    return {
      ...options,
      challenge: toBuffer(options.challenge),
      user: { ...options.user, id: toBuffer(options.user.id) },
      excludeCredentials: withBufferIds(options.excludeCredentials),
    };
  }

  function requestOptions(options) {
    return {
      ...options,
      challenge: toBuffer(options.challenge),
      allowCredentials: withBufferIds(options.allowCredentials),
    };
  }

  // PublicKeyCredential as JSON (WebAuthn Level 3, RegistrationResponseJSON and
  // AuthenticationResponseJSON), byte fields in base64url.
  function credentialJson(credential) {
    const answer = credential.response;
    const response = { clientDataJSON: toBase64url(answer.clientDataJSON) };
    if (answer.attestationObject) {
      response.attestationObject = toBase64url(answer.attestationObject);
      response.transports = typeof answer.getTransports === "function" ? answer.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(answer.authenticatorData);
      response.signature = toBase64url(answer.signature);
      if (answer.userHandle) {
        response.userHandle = toBase64url(answer.userHandle);
      }
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    });
  }

  function post(form, credential) {
    form.elements.credential.value = credentialJson(credential);
    form.submit();
  }

  // `reason` names a data attribute of the error paragraph: data-cancelled, data-duplicate...
  function showError(form, reason) {
    const paragraph = form.querySelector("#passkey-error");
    paragraph.textContent = paragraph.dataset[reason];
    paragraph.hidden = false;
  }

  function supported() {
    return typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
  }

  function signIn(form, options) {
    const publicKey = requestOptions(options);
    const button = document.getElementById("passkey-sign-in");
    const autofill = new AbortController();
    button.disabled = false;
    button.addEventListener("click", async () => {
      // One WebAuthn request at a time: the button's replaces the autofill one.
      autofill.abort();
      try {
        post(form, await navigator.credentials.get({ publicKey: publicKey }));
      } catch (error) {
        showError(form, "cancelled");
      }
    });
    offerInAutofill(form, publicKey, autofill.signal);
  }

  // Conditional mediation: the browser lists passkeys among the email field's suggestions
  // (that field has autocomplete="username webauthn") and resolves when one is picked.
  async function offerInAutofill(form, publicKey, signal) {
    const field = document.querySelector('input[autocomplete~="webauthn"]');
    const probe = window.PublicKeyCredential.isConditionalMediationAvailable;
    if (!field || typeof probe !== "function" || !(await probe.call(window.PublicKeyCredential))) {
      return;
    }
    if (signal.aborted) {
      return;
    }
    try {
      const credential = await navigator.credentials.get({
        publicKey: publicKey,
        mediation: "conditional",
        signal: signal,
      });
      post(form, credential);
    } catch (error) {
      // Aborted for the button's request, or dismissed: the page stays as it was.
    }
  }

  function register(form, options) {
    const button = document.getElementById("passkey-add");
    button.disabled = false;
    button.addEventListener("click", async () => {
      try {
        post(form, await navigator.credentials.create({ publicKey: creationOptions(options) }));
      } catch (error) {
        showError(form, error.name === "InvalidStateError" ? "duplicate" : "cancelled");
      }
    });
  }

  const signInOptions = document.getElementById("passkey-options");
  const creation = document.getElementById("passkey-creation-options");
  if (!supported()) {
    const form = document.getElementById(signInOptions ? "passkey-form" : "passkey-add-form");
    if (form) {
      showError(form, "unsupported");
    }
  } else if (signInOptions) {
    signIn(document.getElementById("passkey-form"), readOptions(signInOptions));
  } else if (creation) {
    register(document.getElementById("passkey-add-form"), readOptions(creation));
  }
})();
