// An upstream's answer posted from its own site arrives without our cookies: post it again
// from this page, on our origin, where they come along (web/federation.py).
document.getElementById("repost").submit();
