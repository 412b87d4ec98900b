// frontline's embeddable widget: <script src="https://HOST/widget.js" data-channel="web" defer></script>
// adds a chat button that opens /widget of the same server in a frame.
(function () {
  var script = document.currentScript;
  if (!script) return;
  var origin = new URL(script.src).origin;
  var channel = script.getAttribute('data-channel') || 'web';
  var frame = document.createElement('iframe');
  frame.src = origin + '/widget?channel=' + encodeURIComponent(channel);
  frame.title = 'chat';
  frame.id = 'frontline-widget';
  frame.style.cssText = 'position:fixed;right:16px;bottom:80px;width:360px;max-width:calc(100vw - 32px);' +
    'height:520px;max-height:calc(100vh - 100px);border:1px solid #ccd;border-radius:12px;' +
    'box-shadow:0 4px 24px rgba(0,0,0,.2);display:none;z-index:2147483647;background:#fff';
  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = '\u{1F4AC}';
  button.setAttribute('aria-label', 'chat');
  button.id = 'frontline-chat';
  button.style.cssText = 'position:fixed;right:16px;bottom:16px;width:56px;height:56px;border-radius:28px;' +
    'border:0;background:#2456c8;color:#fff;font-size:24px;cursor:pointer;z-index:2147483647';
  button.addEventListener('click', function () {
    frame.style.display = frame.style.display === 'none' ? 'block' : 'none';
  });
  function mount() {
    document.body.appendChild(frame);
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
