// OpenID Connect Front-Channel Logout 1.0 §4: the page loads each relying party's logout URL in
// a hidden iframe, then continues to where the client asked. The window's load event waits for
// every iframe; the timeout bounds the wait for a relying party that never answers.
(function () {
  var link = document.getElementById("continue");
  if (!link) {
    return;
  }
  var gone = false;
  function proceed() {
    if (!gone) {
      gone = true;
      window.location.assign(link.href);
    }
  }
  if (document.readyState === "complete") {
    proceed();
  } else {
    window.addEventListener("load", proceed);
  }
  window.setTimeout(proceed, 5000);
})();
