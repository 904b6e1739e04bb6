// A sign-in link opened in the browser that asked for it continues without a click.
// Served only on that page (web/magic_link.py explains why never elsewhere).
document.getElementById("magic-link-continue").submit();
