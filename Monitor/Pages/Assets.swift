/// The monitor's one stylesheet and one small script, served from memory (no CDN, works offline).
enum Assets {
    static let stylesheet = """
    :root { --bg: #f7f7f9; --fg: #1d1f24; --muted: #6b7280; --line: #e3e5ea; --accent: #2456d6; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
    header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #16181d; color: #fff; }
    header .brand { font-weight: 700; letter-spacing: .03em; }
    header nav a { color: #cfd3dc; text-decoration: none; margin-right: 1rem; }
    header nav a.active, header nav a:hover { color: #fff; border-bottom: 2px solid #7aa2ff; }
    header .broker { margin-left: auto; color: #9aa1ad; font-family: ui-monospace, monospace; font-size: 12px; }
    .live { font-size: 12px; color: #9aa1ad; }
    .live.on { color: #7ee2a8; }
    main { padding: 1rem 1.2rem; }
    h1 { font-size: 1.35rem; margin: .2rem 0 1rem; }
    h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
    table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
    th, td { text-align: left; padding: .35rem .55rem; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { background: #f0f1f4; font-weight: 600; font-size: 12px; color: #3b3f48; }
    td code, td.args, td.kwargs, td.result, td.uuid { font-family: ui-monospace, SFMono-Regular, monospace; font-size: 12px; word-break: break-all; }
    table.details th { width: 12rem; }
    td.time, td.runtime, td.heartbeat { white-space: nowrap; }
    tr.flash { animation: flash 1.2s ease-out; }
    @keyframes flash { from { background: #fff6c9; } to { background: transparent; } }
    .state { display: inline-block; padding: 0 .45rem; border-radius: 3px; font-size: 11px; font-weight: 600; color: #fff; background: #6b7280; }
    .state-success, .state-online { background: #1f9d55; }
    .state-failure, .state-offline { background: #cc3340; }
    .state-retry { background: #d97706; }
    .state-started, .state-received { background: #2456d6; }
    .state-revoked { background: #6d28d9; }
    pre.traceback { background: #16181d; color: #e8e8e8; padding: .8rem; overflow-x: auto; border-radius: 4px; }
    .filters { display: flex; flex-wrap: wrap; gap: .8rem; align-items: end; margin-bottom: .6rem; }
    .filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
    input, select, button { font: inherit; padding: .25rem .45rem; border: 1px solid #c8ccd4; border-radius: 4px; background: #fff; }
    button { cursor: pointer; background: #eef2ff; border-color: #b8c6f5; }
    button.danger { background: #fdecee; border-color: #f2b8bf; }
    .actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: 1rem; }
    form.inline { display: inline-flex; gap: .3rem; }
    #action-result { color: var(--muted); }
    .paging { color: var(--muted); }
    .paging a { margin-left: .8rem; }
    tr.empty td { color: var(--muted); text-align: center; padding: 1rem; }
    .list { display: inline-block; margin-right: .8rem; color: var(--muted); font-size: 12px; }
    """

    /// Live updates over Server-Sent Events and the action buttons. Builds DOM nodes with
    /// `textContent` only, so task data can never become markup.
    static let script = """
    (function () {
      'use strict';
      var live = document.getElementById('live');
      function text(tag, value, cls) { var el = document.createElement(tag); el.textContent = value == null ? '' : String(value); if (cls) el.className = cls; return el; }
      function badge(state) { return text('span', state, 'state state-' + String(state).toLowerCase()); }
      function utc(ts) { if (!ts) return ''; return new Date(ts * 1000).toISOString().replace('T', ' ').replace('Z', ''); }
      function taskEvent(ev) {
        var rows = document.querySelectorAll('tr[data-uuid], table.details[data-uuid]');
        var row = null;
        for (var i = 0; i < rows.length; i++) { if (rows[i].getAttribute('data-uuid') === ev.uuid) { row = rows[i]; break; } }
        var table = document.getElementById('tasks');
        if (!row && table && table.getAttribute('data-live') === '1' && ev.type === 'task-received') {
          var empty = table.querySelector('tr.empty'); if (empty) empty.remove();
          row = document.createElement('tr'); row.setAttribute('data-uuid', ev.uuid);
          var idCell = document.createElement('td'); idCell.className = 'uuid';
          var a = text('a', ev.uuid); a.href = '/task/' + encodeURIComponent(ev.uuid); idCell.appendChild(a); row.appendChild(idCell);
          row.appendChild(text('td', ev.name, 'name'));
          var st = document.createElement('td'); st.className = 'state-cell'; row.appendChild(st);
          row.appendChild(text('td', ev.args, 'args')); row.appendChild(text('td', ev.kwargs, 'kwargs'));
          row.appendChild(text('td', '', 'result')); row.appendChild(text('td', utc(ev.timestamp), 'time'));
          row.appendChild(text('td', '', 'runtime')); row.appendChild(text('td', ev.hostname));
          table.tBodies[0].insertBefore(row, table.tBodies[0].firstChild);
          while (table.tBodies[0].rows.length > 200) table.tBodies[0].deleteRow(-1);
        }
        if (!row) return;
        var cell = row.querySelector('.state-cell');
        if (cell) { cell.textContent = ''; cell.appendChild(badge(ev.state)); }
        var result = row.querySelector('.result');
        if (result && ev.result != null) result.textContent = ev.result;
        if (result && ev.exception != null) result.textContent = ev.exception;
        var runtime = row.querySelector('.runtime');
        if (runtime && ev.runtime != null) runtime.textContent = Number(ev.runtime).toFixed(4) + 's';
        row.classList.remove('flash'); void row.offsetWidth; row.classList.add('flash');
      }
      function workerEvent(ev) {
        var rows = document.querySelectorAll('tr[data-worker]');
        for (var i = 0; i < rows.length; i++) {
          var row = rows[i]; if (row.getAttribute('data-worker') !== ev.hostname) continue;
          var status = row.querySelector('.status'); status.textContent = '';
          status.appendChild(text('span', ev.type === 'worker-offline' ? 'offline' : 'online', 'state state-' + (ev.type === 'worker-offline' ? 'offline' : 'online')));
          if (ev.active != null) row.querySelector('.active').textContent = ev.active;
          if (ev.processed != null) row.querySelector('.processed').textContent = ev.processed;
          if (ev.loadavg) row.querySelector('.loadavg').textContent = ev.loadavg.map(function (x) { return Number(x).toFixed(2); }).join(', ');
          row.querySelector('.heartbeat').textContent = utc(ev.timestamp);
          row.setAttribute('data-seen', ev.timestamp); if (ev.freq) row.setAttribute('data-freq', ev.freq);
        }
      }
      setInterval(function () {
        var rows = document.querySelectorAll('tr[data-worker]'); var now = Date.now() / 1000;
        for (var i = 0; i < rows.length; i++) {
          var seen = Number(rows[i].getAttribute('data-seen')), freq = Number(rows[i].getAttribute('data-freq') || 2);
          if (now > seen + 2 * freq) { var s = rows[i].querySelector('.status'); s.textContent = ''; s.appendChild(text('span', 'offline', 'state state-offline')); }
        }
      }, 1000);
      if (window.EventSource) {
        var source = new EventSource('/events');
        source.onopen = function () { live.textContent = 'live'; live.className = 'live on'; };
        source.onerror = function () { live.textContent = 'reconnecting…'; live.className = 'live'; };
        source.onmessage = function (message) {
          var ev; try { ev = JSON.parse(message.data); } catch (e) { return; }
          if (String(ev.type).indexOf('task-') === 0) taskEvent(ev); else workerEvent(ev);
        };
      }
      function show(textValue) { var out = document.getElementById('action-result'); if (out) out.textContent = textValue; }
      function post(url, body) {
        return fetch(url, { method: 'POST', credentials: 'same-origin', headers: body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}, body: body || null })
          .then(function (r) { return r.json().then(function (j) { show(j.message || j.error || JSON.stringify(j)); }); })
          .catch(function (e) { show(String(e)); });
      }
      document.addEventListener('click', function (e) {
        var target = e.target.closest('button[data-action]'); if (!target) return;
        var question = target.getAttribute('data-confirm'); if (question && !window.confirm(question)) return;
        post(target.getAttribute('data-action'));
      });
      document.addEventListener('submit', function (e) {
        var form = e.target; if (!form.hasAttribute('data-action-form')) return; e.preventDefault();
        var worker = form.getAttribute('data-worker');
        if (!form.elements.task) {
          var fields = Array.prototype.map.call(form.querySelectorAll('input[name]'), function (input) {
            return encodeURIComponent(input.name) + '=' + encodeURIComponent(input.value);
          });
          post(form.getAttribute('data-action-form') + encodeURIComponent(worker), fields.join('&'));
          return;
        }
        var url = form.getAttribute('data-action-form') + encodeURIComponent(form.elements.task.value);
        post(url, 'workername=' + encodeURIComponent(worker) + '&ratelimit=' + encodeURIComponent(form.elements.ratelimit.value));
      });
    })();
    """
}
