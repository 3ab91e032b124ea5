// The plan page: a zoomable treemap of the tree coloured by owner, the
// teams, the files nobody or several teams own, and the team dependency
// graph. Everything it shows is in the `data` script element (see
// src/picture/mod.rs for its shape); d3-hierarchy lays the treemap out.
//
// The map is drawn on a canvas, not as DOM nodes: a 100k-file tree would
// make a page too slow to use. Only what is big enough to see is laid out;
// a directory smaller than MIN_DIR_AREA is drawn as one block striped by
// its owners' shares, and a directory's files smaller than MIN_FILE_AREA
// as one block likewise.
'use strict';
(function () {
  const MIN_DIR_AREA = 2400; // px², below which a directory is one block
  const MIN_FILE_AREA = 24; // px², below which files are lumped together
  const HEADER = 15; // px, a directory's name band
  const UNOWNED = '#d7191c';
  const SHARED = '#bfc4ca';
  // Team colours: distinct hues first, then darker and lighter variants, no
  // red (it means unowned) and no grey (it means shared). Team names label
  // the map and the legend too, so no reader depends on colour alone.
  const PALETTE = [
    '#1f77b4', '#ff9f1c', '#2ca02c', '#9467bd', '#17becf', '#bcbd22', '#8c564b', '#e377c2',
    '#0b3d91', '#f4d03f', '#006d5b', '#6a3d9a', '#a6cee3', '#b2df8a', '#fdbf6f', '#cab2d6',
    '#1b9e77', '#7570b3', '#66a61e', '#e6ab02', '#a6761d', '#386cb0', '#80b1d3', '#fccde5',
  ];

  const data = JSON.parse(document.getElementById('data').textContent);
  const tree = data.tree;
  const teams = data.teams;
  const classes = data.owner_classes;
  const nDirs = tree.dir_parent.length;
  const nFiles = tree.file_dir.length;

  function teamColour(t) {
    if (t < PALETTE.length) return PALETTE[t];
    // Beyond the palette: golden-angle hues, kept away from red.
    const hue = 30 + ((t * 137.508) % 300);
    return `hsl(${hue.toFixed(0)}, 55%, ${t % 2 ? 38 : 58}%)`;
  }

  // What a class of owners looks like: a fill, and a hatch for the states
  // that must stand out (unowned, several owners).
  const KIND = { unowned: 0, shared: 1, team: 2, overlap: 3 };
  const classKind = classes.map(c =>
    c.teams.length > 1 ? KIND.overlap : c.teams.length === 1 ? KIND.team : c.shared ? KIND.shared : KIND.unowned);
  const classFill = classes.map((c, i) =>
    classKind[i] === KIND.unowned ? UNOWNED : classKind[i] === KIND.shared ? SHARED : teamColour(c.teams[0]));

  // ---- the hierarchy, rebuilt from the columns --------------------------
  const dirFiles = Array.from({ length: nDirs }, () => []);
  const dirDirs = Array.from({ length: nDirs }, () => []);
  for (let f = 0; f < nFiles; f++) dirFiles[tree.file_dir[f]].push(f);
  for (let d = 1; d < nDirs; d++) dirDirs[tree.dir_parent[d]].push(d);
  // Per directory, bytes and files in all and by owner class. A parent's
  // index is always below its children's, so one backward pass sums them.
  const dirBytes = new Float64Array(nDirs);
  const dirCount = new Float64Array(nDirs);
  const dirByClass = Array.from({ length: nDirs }, () => new Map());
  for (let f = 0; f < nFiles; f++) {
    const d = tree.file_dir[f];
    dirBytes[d] += tree.file_bytes[f];
    dirCount[d] += 1;
    addShare(dirByClass[d], tree.file_owners[f], tree.file_bytes[f], 1);
  }
  for (let d = nDirs - 1; d > 0; d--) {
    const p = tree.dir_parent[d];
    dirBytes[p] += dirBytes[d];
    dirCount[p] += dirCount[d];
    for (const [c, s] of dirByClass[d]) addShare(dirByClass[p], c, s[0], s[1]);
  }
  function addShare(map, c, bytes, files) {
    const s = map.get(c);
    if (s) { s[0] += bytes; s[1] += files; } else map.set(c, [bytes, files]);
  }

  const dirPathCache = new Array(nDirs);
  function dirPath(d) {
    if (d === 0) return '';
    if (dirPathCache[d] === undefined) {
      const up = dirPath(tree.dir_parent[d]);
      dirPathCache[d] = up ? up + '/' + tree.dir_name[d] : tree.dir_name[d];
    }
    return dirPathCache[d];
  }
  function filePath(f) {
    const d = dirPath(tree.file_dir[f]);
    return d ? d + '/' + tree.file_name[f] : tree.file_name[f];
  }
  const dirByPath = new Map();
  for (let d = 0; d < nDirs; d++) dirByPath.set(dirPath(d), d);

  // ---- state ------------------------------------------------------------
  const state = { root: 0, measure: 'bytes', query: '', hover: null };
  let layout = null; // the laid-out d3 root of the current view
  let matchFile = null; // Uint8Array: 1 where a file matches the search
  let matchDir = null; // Uint32Array: matching files below each directory

  const canvas = document.getElementById('map');
  const ctx = canvas.getContext('2d');
  const tip = document.getElementById('tip');
  const patterns = makePatterns();

  function makePatterns() {
    const hatch = (bg, fg, cross) => {
      const c = document.createElement('canvas');
      c.width = c.height = 8;
      const g = c.getContext('2d');
      g.fillStyle = bg;
      g.fillRect(0, 0, 8, 8);
      g.strokeStyle = fg;
      g.lineWidth = 1.6;
      g.beginPath();
      g.moveTo(0, 8); g.lineTo(8, 0);
      g.moveTo(-2, 2); g.lineTo(2, -2);
      g.moveTo(6, 10); g.lineTo(10, 6);
      if (cross) { g.moveTo(0, 0); g.lineTo(8, 8); }
      g.stroke();
      return c;
    };
    return {
      unowned: ctx.createPattern(hatch(UNOWNED, 'rgba(255,255,255,0.85)', false), 'repeat'),
      overlap: new Map(),
      overlapOf(c) {
        if (!this.overlap.has(c)) {
          this.overlap.set(c, ctx.createPattern(hatch(classFill[c], 'rgba(0,0,0,0.75)', true), 'repeat'));
        }
        return this.overlap.get(c);
      },
    };
  }
  function fillOf(c) {
    switch (classKind[c]) {
      case KIND.unowned: return patterns.unowned;
      case KIND.overlap: return patterns.overlapOf(c);
      default: return classFill[c];
    }
  }

  // ---- layout -----------------------------------------------------------
  function valueOfDir(d) { return state.measure === 'bytes' ? dirBytes[d] : dirCount[d]; }
  function valueOfFile(f) { return state.measure === 'bytes' ? tree.file_bytes[f] : 1; }

  // The nodes of the current view: directories big enough to look into are
  // opened, the rest stay blocks. `perUnit` is px² per unit of value.
  function viewNode(d, perUnit, isRoot) {
    const area = valueOfDir(d) * perUnit;
    if (!isRoot && area < MIN_DIR_AREA) return { kind: 'block', dir: d, value: valueOfDir(d) };
    // A directory holding only one directory is drawn as one with it
    // (`src/main/java/`), as deep layouts would otherwise stack name bands.
    if (!isRoot && dirFiles[d].length === 0 && dirDirs[d].length === 1) {
      const inner = viewNode(dirDirs[d][0], perUnit, false);
      inner.top = inner.top === undefined ? d : inner.top;
      return inner;
    }
    const children = [];
    for (const c of dirDirs[d]) if (valueOfDir(c) > 0) children.push(viewNode(c, perUnit, false));
    const small = [];
    for (const f of dirFiles[d]) {
      const v = valueOfFile(f);
      if (v <= 0) continue;
      if (v * perUnit < MIN_FILE_AREA) small.push(f); else children.push({ kind: 'file', file: f, value: v });
    }
    if (small.length === 1) children.push({ kind: 'file', file: small[0], value: valueOfFile(small[0]) });
    else if (small.length > 1) {
      let v = 0;
      const byClass = new Map();
      for (const f of small) {
        v += valueOfFile(f);
        addShare(byClass, tree.file_owners[f], tree.file_bytes[f], 1);
      }
      children.push({ kind: 'small', dir: d, files: small, byClass, value: v });
    }
    return { kind: 'dir', dir: d, children };
  }

  function relayout() {
    const rect = canvas.getBoundingClientRect();
    const w = Math.max(50, Math.floor(rect.width));
    const h = Math.max(50, Math.floor(rect.height));
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(w * ratio);
    canvas.height = Math.floor(h * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const total = valueOfDir(state.root);
    const perUnit = total > 0 ? (w * h) / total : 0;
    const root = d3.hierarchy(viewNode(state.root, perUnit, true), n => n.children)
      .sum(n => (n.children ? 0 : n.value))
      .sort((a, b) => b.value - a.value);
    d3.treemap()
      .size([w, h])
      .tile(d3.treemapSquarify)
      .paddingInner(1)
      .paddingOuter(n => (n.depth === 0 ? 0 : 2))
      .paddingTop(n => (n.depth > 0 && n.y1 - n.y0 > HEADER * 2 && n.x1 - n.x0 > 30 ? HEADER : n.depth === 0 ? 0 : 2))(root);
    layout = { root, nodes: root.descendants(), w, h };
    draw();
  }

  // ---- drawing ----------------------------------------------------------
  function draw() {
    const { nodes, w, h } = layout;
    ctx.clearRect(0, 0, w, h);
    ctx.textBaseline = 'top';
    ctx.font = '11px system-ui, sans-serif';
    const searching = matchFile !== null;
    for (const n of nodes) {
      const x = n.x0, y = n.y0, nw = n.x1 - n.x0, nh = n.y1 - n.y0;
      if (nw <= 0 || nh <= 0) continue;
      const k = n.data.kind;
      if (k === 'dir') {
        if (n.depth === 0) continue;
        ctx.fillStyle = '#e9ebee';
        ctx.fillRect(x, y, nw, nh);
        if (nh > HEADER * 2 && nw > 30) label(chainName(n.data), x + 3, y + 2, nw - 6, '#1d1d1f');
      } else if (k === 'file') {
        ctx.fillStyle = fillOf(tree.file_owners[n.data.file]);
        ctx.fillRect(x, y, nw, nh);
        if (nh > 14 && nw > 30) label(tree.file_name[n.data.file], x + 3, y + 2, nw - 6, textOn(tree.file_owners[n.data.file]));
      } else {
        stripes(k === 'block' ? dirByClass[n.data.dir] : n.data.byClass, x, y, nw, nh);
        const name = k === 'block' ? chainName(n.data) : `${n.data.files.length} files`;
        if (nh > 14 && nw > 30) label(name, x + 3, y + 2, nw - 6, '#1d1d1f', true);
      }
      if (searching) highlight(n, x, y, nw, nh);
    }
    if (state.hover) {
      const n = state.hover;
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(n.x0 + 1, n.y0 + 1, n.x1 - n.x0 - 2, n.y1 - n.y0 - 2);
    }
  }

  // A directory's name as drawn: from the top of a chain of directories
  // drawn as one, down to it.
  function chainName(node) {
    const names = [];
    for (let d = node.dir; ; d = tree.dir_parent[d]) {
      names.unshift(tree.dir_name[d]);
      if (node.top === undefined || d === node.top || d === 0) break;
    }
    return names.join('/') + '/';
  }

  // A block's owners as vertical stripes, widest share first.
  function stripes(byClass, x, y, w, h) {
    const idx = state.measure === 'bytes' ? 0 : 1;
    const shares = [...byClass].filter(([, s]) => s[idx] > 0).sort((a, b) => b[1][idx] - a[1][idx] || a[0] - b[0]);
    const total = shares.reduce((t, [, s]) => t + s[idx], 0) || 1;
    let at = x;
    for (const [c, s] of shares) {
      const sw = (s[idx] / total) * w;
      ctx.fillStyle = fillOf(c);
      // Unowned and overlapping shares stay at least two pixels wide: they
      // are what the page is looked at for.
      const minW = classKind[c] === KIND.unowned || classKind[c] === KIND.overlap ? Math.min(2, w) : 0;
      ctx.fillRect(at, y, Math.max(sw, minW), h);
      at += sw;
    }
  }

  function highlight(n, x, y, w, h) {
    const k = n.data.kind;
    let hit;
    if (k === 'file') hit = matchFile[n.data.file] === 1;
    else if (k === 'block') hit = matchDir[n.data.dir] > 0;
    else if (k === 'small') hit = n.data.files.some(f => matchFile[f] === 1);
    else return;
    if (hit) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
      ctx.strokeStyle = '#ffe600';
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 2.5, y + 2.5, w - 5, h - 5);
    } else {
      ctx.fillStyle = 'rgba(255,255,255,0.72)';
      ctx.fillRect(x, y, w, h);
    }
  }

  function label(text, x, y, maxW, colour, halo) {
    if (maxW < 12) return;
    let t = text;
    if (ctx.measureText(t).width > maxW) {
      while (t.length > 1 && ctx.measureText(t + '…').width > maxW) t = t.slice(0, -1);
      t += '…';
    }
    if (halo) {
      ctx.fillStyle = 'rgba(255,255,255,0.8)';
      ctx.fillRect(x - 2, y - 1, ctx.measureText(t).width + 4, 13);
    }
    ctx.fillStyle = colour;
    ctx.fillText(t, x, y);
  }

  // Black or white text, whichever reads on the class's fill.
  const textColour = new Map();
  function textOn(c) {
    if (!textColour.has(c)) {
      const probe = document.createElement('canvas').getContext('2d');
      probe.fillStyle = classFill[c];
      probe.fillRect(0, 0, 1, 1);
      const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
      const light = 0.299 * r + 0.587 * g + 0.114 * b > 150 && classKind[c] !== KIND.unowned;
      textColour.set(c, light ? '#1d1d1f' : '#ffffff');
    }
    return textColour.get(c);
  }

  // ---- hover, click, zoom -----------------------------------------------
  // The deepest node under a point: descendants() lists parents before
  // children, so the last hit is the deepest.
  function nodeAt(px, py) {
    if (!layout) return null;
    const nodes = layout.nodes;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i];
      if (n.depth > 0 && px >= n.x0 && px < n.x1 && py >= n.y0 && py < n.y1) return n;
    }
    return null;
  }
  function point(ev) {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }
  canvas.addEventListener('mousemove', ev => {
    const [x, y] = point(ev);
    const n = nodeAt(x, y);
    if (n !== state.hover) {
      state.hover = n;
      draw();
    }
    showTip(n, x, y);
  });
  canvas.addEventListener('mouseleave', () => {
    state.hover = null;
    tip.hidden = true;
    draw();
  });
  canvas.addEventListener('click', ev => {
    const [x, y] = point(ev);
    const n = nodeAt(x, y);
    if (!n) return;
    // A directory's name band zooms into that directory; anywhere else,
    // one level: into the directory of the current view under the pointer.
    let target = n;
    if (n.data.kind !== 'dir') while (target.depth > 1) target = target.parent;
    if (target.data.kind === 'dir' || target.data.kind === 'block') zoomTo(target.data.dir);
  });
  document.addEventListener('keydown', ev => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if ((ev.key === 'Escape' || ev.key === 'Backspace') && state.root !== 0) {
      ev.preventDefault();
      zoomTo(outOf(state.root));
    }
  });

  // The directory zooming out of `d` shows: its parent, or above it while
  // the parent holds nothing but `d`'s chain (it would look the same).
  function outOf(d) {
    let up = tree.dir_parent[d];
    while (up !== 0 && dirFiles[up].length === 0 && dirDirs[up].length === 1) up = tree.dir_parent[up];
    return up;
  }

  function zoomTo(d) {
    state.root = d;
    state.hover = null;
    tip.hidden = true;
    crumbs();
    relayout();
  }

  function crumbs() {
    const nav = document.getElementById('crumbs');
    nav.textContent = '';
    const chain = [];
    for (let d = state.root; ; d = tree.dir_parent[d]) {
      chain.unshift(d);
      if (d === 0) break;
    }
    chain.forEach((d, i) => {
      if (i > 0) nav.append(el('span', { class: 'sep' }, '/'));
      const b = el('button', { type: 'button' }, d === 0 ? data.header.repository : tree.dir_name[d]);
      if (d === state.root) b.setAttribute('aria-current', 'location');
      else b.addEventListener('click', () => zoomTo(d));
      nav.append(b);
    });
  }

  function showTip(n, x, y) {
    if (!n) { tip.hidden = true; return; }
    tip.textContent = '';
    const k = n.data.kind;
    if (k === 'file') {
      const f = n.data.file;
      tip.append(el('div', { class: 'path' }, filePath(f)));
      tip.append(el('div', {}, `${size(tree.file_bytes[f])} · ${ownersText(tree.file_owners[f])}`));
      const why = data.reasons[tree.file_why[f]];
      tip.append(why.length ? list(why) : el('div', { class: 'muted' }, 'no rule selects it'));
    } else {
      const byClass = k === 'small' ? n.data.byClass : dirByClass[n.data.dir];
      const files = k === 'small' ? n.data.files.length : dirCount[n.data.dir];
      const bytes = k === 'small' ? n.data.files.reduce((t, f) => t + tree.file_bytes[f], 0) : dirBytes[n.data.dir];
      const name = k === 'small' ? `${dirPath(n.data.dir) || '.'}/ (${files} small files)` : (dirPath(n.data.dir) || '.') + '/';
      tip.append(el('div', { class: 'path' }, name));
      tip.append(el('div', {}, `${count(files, 'file')} · ${size(bytes)}`));
      const shares = [...byClass].sort((a, b) => b[1][0] - a[1][0] || a[0] - b[0]).slice(0, 6);
      tip.append(list(shares.map(([c, s]) => `${ownersText(c)}: ${count(s[1], 'file')}, ${size(s[0])}`)));
    }
    tip.hidden = false;
    const wrap = canvas.getBoundingClientRect();
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    tip.style.left = `${Math.min(x + 14, wrap.width - tw - 4)}px`;
    tip.style.top = `${y + 14 + th > wrap.height ? Math.max(0, y - th - 10) : y + 14}px`;
  }

  // ---- search -----------------------------------------------------------
  let lowerPaths = null;
  let searchTimer = 0;
  const search = document.getElementById('search');
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(search.value), 120);
  });
  search.addEventListener('keydown', ev => {
    if (ev.key === 'Enter') {
      clearTimeout(searchTimer);
      runSearch(search.value);
      const first = matchFile ? matchFile.indexOf(1) : -1;
      if (first >= 0) zoomTo(tree.file_dir[first]);
    }
  });

  function runSearch(q) {
    state.query = q.trim().toLowerCase();
    const out = document.getElementById('search-count');
    const box = document.getElementById('matches');
    box.textContent = '';
    if (!state.query) {
      matchFile = matchDir = null;
      out.textContent = '';
      draw();
      return;
    }
    if (!lowerPaths) {
      lowerPaths = new Array(nFiles);
      for (let f = 0; f < nFiles; f++) lowerPaths[f] = filePath(f).toLowerCase();
    }
    matchFile = new Uint8Array(nFiles);
    matchDir = new Uint32Array(nDirs);
    let hits = 0;
    for (let f = 0; f < nFiles; f++) {
      if (lowerPaths[f].includes(state.query)) {
        matchFile[f] = 1;
        hits++;
        for (let d = tree.file_dir[f]; ; d = tree.dir_parent[d]) {
          matchDir[d]++;
          if (d === 0) break;
        }
      }
    }
    out.textContent = hits === 1 ? '1 file matches' : `${hits} files match`;
    let shown = 0;
    for (let f = 0; f < nFiles && shown < 12; f++) {
      if (matchFile[f] !== 1) continue;
      shown++;
      const b = el('button', { type: 'button', class: 'linkish mono' }, filePath(f));
      b.addEventListener('click', () => zoomTo(tree.file_dir[f]));
      box.append(b);
    }
    draw();
  }

  document.getElementById('measure').addEventListener('change', ev => {
    state.measure = ev.target.value;
    relayout();
  });
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(relayout, 100);
  });

  // ---- text helpers -----------------------------------------------------
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function list(items) {
    const ul = el('ul', { class: 'compact' });
    for (const i of items) ul.append(el('li', {}, i));
    return ul;
  }
  function size(b) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let u = 0;
    while (b >= 1024 && u < units.length - 1) { b /= 1024; u++; }
    return u === 0 ? `${b} B` : `${b.toFixed(1)} ${units[u]}`;
  }
  function count(n, word) { return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`; }
  function ownersText(c) {
    const k = classes[c];
    if (classKind[c] === KIND.unowned) return 'unowned';
    const names = k.teams.map(t => teams[t].name);
    if (k.shared) names.push('shared');
    return (classKind[c] === KIND.overlap ? 'overlap: ' : '') + names.join(', ');
  }
  function swatch(fill, hatched) {
    const s = el('span', { class: 'swatch' });
    s.style.background = hatched
      ? `repeating-linear-gradient(45deg, ${fill} 0 3px, rgba(255,255,255,0.85) 3px 5px)`
      : fill;
    return s;
  }

  // ---- header, legend, tables --------------------------------------------
  function header() {
    const h = data.header;
    document.getElementById('title').textContent = `${h.repository}: the split at ${h.ref_name}`;
    document.getElementById('subtitle').textContent =
      `commit ${h.commit} · manifest ${h.manifest} · ${count(nFiles, 'file')}, ${size(dirBytes[0])} · drawn by git-split ${h.version}`;
  }

  function legend() {
    const ul = document.getElementById('legend');
    teams.forEach((t, i) => {
      const li = el('li');
      li.append(swatch(teamColour(i)), el('span', {}, t.name));
      ul.append(li);
    });
    const extra = [[SHARED, false, 'shared (every team keeps)'], [UNOWNED, true, 'unowned (every team loses)'],
      ['#6a6a6a', true, 'overlap (several teams own)']];
    for (const [fill, hatched, text] of extra) {
      const li = el('li');
      li.append(swatch(fill, hatched), el('span', {}, text));
      ul.append(li);
    }
  }

  function teamTable() {
    const box = document.getElementById('teams');
    const table = el('table');
    const head = el('tr');
    for (const [t, cls] of [['Team', ''], ['Owners', ''], ['Keeps', 'num'], ['Removes', 'num'], ['Packages', ''], ['Breaks', '']]) {
      head.append(el('th', cls ? { class: cls } : {}, t));
    }
    table.append(head);
    teams.forEach((t, i) => {
      const tr = el('tr');
      const name = el('td');
      const n = el('div', { class: 'team-name' });
      n.append(swatch(teamColour(i)), el('span', {}, t.name));
      name.append(n);
      if (t.description) name.append(el('div', { class: 'muted' }, t.description));
      tr.append(name, el('td', {}, t.owners.join(', ')));
      const p = t.plan;
      if (!p) {
        tr.append(el('td', { class: 'num muted', colspan: '4' }, 'not selected'));
      } else {
        tr.append(el('td', { class: 'num' }, `${count(p.kept_files, 'file')}\n${size(p.kept_bytes)}`));
        tr.append(el('td', { class: 'num' }, `${count(p.removed_files, 'file')}\n${size(p.removed_bytes)}`));
        const pk = el('td');
        if (p.packages.length) {
          pk.append(list(p.packages.map(k => `${k.package} → ${[...k.paths.map(d => (d ? d + '/' : './')), ...k.files].join(', ') || 'nothing'}`)));
        }
        tr.append(pk);
        tr.append(el('td', {}, breaksText(p.breaks)));
      }
      table.append(tr);
    });
    box.append(table);
  }
  function breaksText(b) {
    if (!b) return '—';
    if (!b.references) return 'nothing';
    const into = b.into.map(i => `${i.team === null ? 'unowned' : i.team} (${i.references})`).join(', ');
    return `${count(b.references, 'reference')} in ${count(b.files, 'file')} into ${into}`;
  }

  // Unowned and overlapping files, by directory.
  function problems() {
    const unowned = new Map();
    const overlaps = new Map();
    for (let f = 0; f < nFiles; f++) {
      const k = classKind[tree.file_owners[f]];
      const target = k === KIND.unowned ? unowned : k === KIND.overlap ? overlaps : null;
      if (!target) continue;
      const d = tree.file_dir[f];
      if (!target.has(d)) target.set(d, []);
      target.get(d).push(f);
    }
    problemList(document.getElementById('unowned'), unowned, 'Unowned', 'No file is unowned: every team keeps or loses each file by a rule.', false);
    problemList(document.getElementById('overlaps'), overlaps, 'Owned by several teams', 'No file is owned by several teams.', true);
  }
  function problemList(box, byDir, title, none, withOwners) {
    box.append(el('h3', {}, title));
    if (!byDir.size) { box.append(el('p', { class: 'muted' }, none)); return; }
    const dirs = [...byDir].sort((a, b) => b[1].length - a[1].length || dirPath(a[0]).localeCompare(dirPath(b[0])));
    const MAX = 200;
    const ul = el('ul', { class: 'compact' });
    for (const [d, files] of dirs.slice(0, MAX)) {
      const li = el('li');
      const b = el('button', { type: 'button', class: 'linkish mono' }, (dirPath(d) || '.') + '/');
      b.addEventListener('click', () => { zoomTo(d); canvas.scrollIntoView({ block: 'center' }); });
      const owners = withOwners ? ` (${[...new Set(files.map(f => ownersText(tree.file_owners[f])))].join('; ')})` : '';
      li.append(b, el('span', { class: 'muted' }, ` ${count(files.length, 'file')}${owners}`));
      ul.append(li);
    }
    box.append(ul);
    if (dirs.length > MAX) box.append(el('p', { class: 'muted' }, `and ${dirs.length - MAX} more directories`));
  }

  // ---- the team dependency graph ----------------------------------------
  function deps() {
    const box = document.getElementById('deps');
    const dv = data.deps;
    if (!dv) {
      box.append(el('p', { class: 'muted' }, 'Source files were not read (plan --no-deps).'));
      return;
    }
    if (!dv.edges.length) {
      box.append(el('p', {}, 'No reference crosses a team line: no split breaks anything.'));
    } else {
      box.append(el('p', { class: 'help' }, 'An arrow from a team to another: code the first keeps that refers to files it loses. Width grows with the references; click an arrow or a row for the places.'));
      const row = el('div', { class: 'graph-row' });
      const side = el('div', { class: 'graph-side' });
      side.append(edgeTable(dv.edges), el('div', { id: 'places' }));
      row.append(graph(dv.edges), side);
      box.append(row);
    }
    box.append(el('h3', {}, 'Duplicate or extract'));
    if (!dv.duplicate_or_extract.length) {
      box.append(el('p', { class: 'muted' }, 'No file is referenced by two or more teams that lose it.'));
      return;
    }
    box.append(el('p', { class: 'help' }, 'Files two or more teams refer to and lose: candidates for shared, or for a library.'));
    const table = el('table');
    const head = el('tr');
    for (const [t, c] of [['Path', ''], ['Owner', ''], ['Referenced by', ''], ['References', 'num']]) head.append(el('th', c ? { class: c } : {}, t));
    table.append(head);
    for (const d of dv.duplicate_or_extract) {
      const tr = el('tr');
      tr.append(el('td', { class: 'mono' }, d.path), el('td', {}, d.owner === null ? 'unowned' : d.owner),
        el('td', {}, d.from_teams.join(', ')), el('td', { class: 'num' }, String(d.references)));
      table.append(tr);
    }
    box.append(table);
    if (dv.duplicate_or_extract_left_off) box.append(el('p', { class: 'muted' }, `and ${dv.duplicate_or_extract_left_off} more (git-split deps lists them all)`));
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }
  // Teams on a circle, arrows bent so both directions between two teams
  // stay apart.
  function graph(edges) {
    const ids = new Set();
    for (const e of edges) { ids.add(e.from); ids.add(e.to === null ? -1 : e.to); }
    const nodes = [...ids].sort((a, b) => a - b);
    const side = 560, cx = side / 2, cy = side / 2, r = nodes.length > 1 ? side / 2 - 90 : 0;
    const at = new Map(nodes.map((t, i) => {
      const a = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
      return [t, [cx + r * Math.cos(a), cy + r * Math.sin(a)]];
    }));
    const root = svg('svg', { id: 'graph', viewBox: `0 0 ${side} ${side}`, width: side, height: side, role: 'img', 'aria-label': 'Team dependency graph' });
    const defs = svg('defs', {});
    // Arrowheads keep one size whatever the edge's width.
    const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '11', markerHeight: '11', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M0,0L10,5L0,10z', fill: '#5f6368' }));
    defs.append(marker);
    root.append(defs);
    const max = Math.max(...edges.map(e => e.references));
    edges.forEach((e, i) => {
      const [x1, y1] = at.get(e.from);
      const [x2, y2] = at.get(e.to === null ? -1 : e.to);
      const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
      const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy) || 1;
      const bend = 0.18 * len;
      const qx = mx - (dy / len) * bend, qy = my + (dx / len) * bend;
      // End short of the target's circle.
      const ex = x2 - ((x2 - qx) / Math.hypot(x2 - qx, y2 - qy)) * 16;
      const ey = y2 - ((y2 - qy) / Math.hypot(x2 - qx, y2 - qy)) * 16;
      const p = svg('path', {
        class: 'edge', d: `M${x1},${y1}Q${qx},${qy} ${ex},${ey}`, 'marker-end': 'url(#arrow)',
        'stroke-width': (1.5 + 10 * Math.sqrt(e.references / max)).toFixed(1), 'data-edge': String(i),
      });
      const title = svg('title', {});
      title.textContent = `${edgeName(e)}: ${count(e.references, 'reference')}`;
      p.append(title);
      p.addEventListener('click', () => selectEdge(i, edges));
      root.append(p);
    });
    for (const t of nodes) {
      const [x, y] = at.get(t);
      root.append(svg('circle', { cx: x, cy: y, r: 14, fill: t === -1 ? UNOWNED : teamColour(t), stroke: '#fff', 'stroke-width': 2 }));
      const text = svg('text', { x: x + (x >= cx ? 18 : -18), y: y + 4, 'text-anchor': x >= cx ? 'start' : 'end' });
      text.textContent = t === -1 ? 'unowned' : teams[t].name;
      root.append(text);
    }
    return root;
  }
  function edgeName(e) { return `${teams[e.from].name} → ${e.to === null ? 'unowned' : teams[e.to].name}`; }
  function edgeTable(edges) {
    const table = el('table', { id: 'edges' });
    const head = el('tr');
    for (const [t, c] of [['From', ''], ['Into', ''], ['References', 'num'], ['Files', 'num']]) head.append(el('th', c ? { class: c } : {}, t));
    table.append(head);
    edges.forEach((e, i) => {
      const tr = el('tr', { class: 'clickable', tabindex: '0', 'data-edge': String(i) });
      tr.append(el('td', {}, teams[e.from].name), el('td', {}, e.to === null ? 'unowned' : teams[e.to].name),
        el('td', { class: 'num' }, String(e.references)), el('td', { class: 'num' }, String(e.files)));
      tr.addEventListener('click', () => selectEdge(i, edges));
      tr.addEventListener('keydown', ev => { if (ev.key === 'Enter') selectEdge(i, edges); });
      table.append(tr);
    });
    return table;
  }
  function selectEdge(i, edges) {
    document.querySelectorAll('[data-edge]').forEach(n => n.classList.toggle('selected', n.getAttribute('data-edge') === String(i)));
    const e = edges[i];
    const box = document.getElementById('places');
    box.textContent = '';
    box.append(el('h3', {}, `${edgeName(e)}: ${count(e.references, 'reference')} in ${count(e.files, 'file')}`));
    const ul = el('ul', { class: 'compact mono' });
    for (const p of e.places) ul.append(el('li', {}, `${p.file}:${p.line}  ${p.text}  → ${p.to_path}`));
    box.append(ul);
    if (e.references > e.places.length) box.append(el('p', { class: 'muted' }, `the first ${e.places.length}; git-split deps lists them all`));
  }

  // ---- start ----------------------------------------------------------------
  // A small API for scripts that drive the page (its browser test, and
  // anyone automating screenshots): where a path is drawn, and zooming.
  window.gitSplitPlan = {
    rectOf(path) {
      const hit = layout.nodes.find(n => n.depth > 0 && (
        (n.data.kind === 'file' && filePath(n.data.file) === path) ||
        ((n.data.kind === 'dir' || n.data.kind === 'block') && dirPath(n.data.dir) === path)));
      if (!hit) return null;
      const r = canvas.getBoundingClientRect();
      return { x: r.left + hit.x0, y: r.top + hit.y0, width: hit.x1 - hit.x0, height: hit.y1 - hit.y0 };
    },
    zoomTo(path) {
      const d = dirByPath.get(path.replace(/\/$/, ''));
      if (d === undefined) return false;
      zoomTo(d);
      return true;
    },
    current() { return dirPath(state.root); },
  };
  header();
  legend();
  crumbs();
  relayout();
  teamTable();
  problems();
  deps();
  // When the first view is drawn and answers input, since navigation began.
  document.body.dataset.readyMs = performance.now().toFixed(0);
  document.body.dataset.ready = 'true';
})();
