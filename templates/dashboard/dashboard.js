// Live updates: polls the page's JSON and changes only what changed, in place (no reload, no flicker).
// Text goes in through textContent and links only when they are http(s): nothing is parsed as HTML.
(function () {
  'use strict';
  var POLL_MS = 3000;
  var body = document.body;
  var url = body.getAttribute('data-poll');
  if (!url) return;

  function utc(iso) { return iso.slice(0, 19).replace('T', ' ') + ' UTC'; }
  function safe(href) { return /^https?:\/\//i.test(href || '') ? href : '#'; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function setCell(cell, key, build) {
    if (cell.getAttribute('data-key') === key) return;
    cell.setAttribute('data-key', key);
    cell.replaceChildren.apply(cell, build());
  }
  var FIELDS = ['repository', 'service', 'version', 'phase', 'weight', 'step', 'started', 'runningFor', 'links'];
  function fill(row, r) {
    var cells = {};
    FIELDS.forEach(function (f) {
      var cell = row.querySelector('td[data-field="' + f + '"]');
      if (!cell) { cell = el('td', { 'data-field': f }); row.appendChild(cell); }
      cells[f] = cell;
    });
    setCell(cells.repository, r.repository, function () { return [r.repository]; });
    setCell(cells.service, r.service + '\n' + r.title + '\n' + r.links.dashboard, function () {
      return [el('a', { href: r.links.dashboard }, [r.service]), el('div', { class: 'muted small' }, [r.title])];
    });
    setCell(cells.version, r.from + '\n' + r.to, function () { return [el('code', {}, [r.from]), ' → ', el('code', {}, [r.to])]; });
    setCell(cells.phase, r.phase, function () { return [el('span', { class: 'Label Label--' + r.phase }, [r.phaseLabel])]; });
    setCell(cells.weight, String(r.weight), function () { return [r.weight + '%']; });
    setCell(cells.step, r.step.number + '/' + r.step.total, function () { return [r.step.number + ' of ' + r.step.total]; });
    setCell(cells.started, r.startedAt, function () { return [el('time', { datetime: r.startedAt }, [utc(r.startedAt)])]; });
    setCell(cells.runningFor, r.runningFor, function () { return [r.runningFor]; });
    var l = r.links;
    setCell(cells.links, [l.pullRequest, l.statusComment, l.revertPullRequest].join('\n'), function () {
      var parts = [el('a', { href: safe(l.pullRequest) }, ['pull request'])];
      if (l.statusComment) parts.push(' · ', el('a', { href: safe(l.statusComment) }, ['status']));
      if (l.revertPullRequest) parts.push(' · ', el('a', { href: safe(l.revertPullRequest) }, ['revert PR']));
      return parts;
    });
  }

  function updateList(data) {
    var tbody = document.getElementById('rows');
    var existing = {};
    Array.prototype.forEach.call(tbody.querySelectorAll('tr[data-id]'), function (row) { existing[row.getAttribute('data-id')] = row; });
    var before = null;
    // Walk the new order from the end so each row lands right before the one that follows it.
    for (var i = data.rollouts.length - 1; i >= 0; i--) {
      var r = data.rollouts[i];
      var row = existing[r.id];
      delete existing[r.id];
      if (!row) { row = el('tr', { 'data-id': r.id }); }
      fill(row, r);
      if (row.nextElementSibling !== before || row.parentNode !== tbody) tbody.insertBefore(row, before);
      before = row;
    }
    Object.keys(existing).forEach(function (id) { existing[id].remove(); });
    document.getElementById('total').textContent = String(data.total);
    document.getElementById('empty').hidden = data.rollouts.length > 0;
  }

  function updateDetail(data) {
    if (data.updatedAt === body.getAttribute('data-updated')) return;
    // The page is rendered (and escaped) by the server; swap its main part, keeping the scroll position.
    return fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' }).then(function (res) {
      if (!res.ok) return;
      return res.text().then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html');
        var main = next.getElementById('main');
        if (!main) return;
        document.getElementById('main').replaceWith(document.importNode(main, true));
        body.setAttribute('data-updated', next.body.getAttribute('data-updated') || data.updatedAt);
      });
    });
  }

  var page = body.getAttribute('data-page');
  function poll() {
    fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (data) { if (data) return page === 'list' ? updateList(data) : updateDetail(data); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  setTimeout(poll, POLL_MS);
})();
