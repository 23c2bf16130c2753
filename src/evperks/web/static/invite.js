// 邀请有奖: 立即邀请 copies the invite link and says so; inside WeChat it also shows how to share the
// page (the ··· menu's 发送给朋友), since a page cannot open WeChat's share sheet itself.
(function () {
  var button = document.getElementById("invite-now");
  var status = document.querySelector(".copy-status");
  var hint = document.getElementById("share-hint");
  if (!button) return;

  function copyByHand(text) {  // http outside localhost has no navigator.clipboard
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyByHand(text); });
    }
    return copyByHand(text);
  }

  button.addEventListener("click", function () {
    copy(button.dataset.link).then(function () {
      status.textContent = button.dataset.copied;
      status.className = "small copy-status ok";
    }, function () {
      status.textContent = button.dataset.failed;
      status.className = "small copy-status error";
    });
    if (button.dataset.wechat) hint.hidden = false;
  });
  hint.addEventListener("click", function () { hint.hidden = true; });
})();
