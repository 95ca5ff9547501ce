// Placeholder app: shows whether the server is ready (the real app replaces this).
const status = document.getElementById('status');
fetch('/readyz')
  .then((res) => { status.textContent = res.ok ? 'Server ready.' : 'Server not ready.'; })
  .catch(() => { status.textContent = 'Server unreachable.'; });
