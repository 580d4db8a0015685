(function () {
  // A voucher card's QR code carries the code in the URL's #fragment, which no server sees.
  var c = document.getElementById("code");
  if (!c) return;
  var f = c.form, h = location.hash, m = /[#&]voucher=([^&]*)/.exec(h), v = "";
  if (m) {
    try { v = decodeURIComponent(m[1]); } catch (e) { v = ""; }
    if (history.replaceState) history.replaceState(null, "", location.pathname + location.search);
  }
  if (v) c.value = v.slice(0, 32);
  var b = f.getAttribute("data-bounce");
  if (b) {
    // Opened past the gateway (walled garden): go through it once, so that it sends the
    // phone back here with its parameters, and the code with it.
    v = c.value;
    if (v && !/[#&]via=gw/.test(h)) location.replace(b + "#voucher=" + encodeURIComponent(v) + "&via=gw");
    return;
  }
  if (v && f.hasAttribute("data-auto")) {
    if (f.requestSubmit) f.requestSubmit(); else f.submit();
  }
})();
