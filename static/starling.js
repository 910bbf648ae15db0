/* starling.js: progressive enhancement of the server-rendered pages (docs/pages.md, "The script").
 * Every page works without it; it sends the requests the page's forms would, through the JSON
 * API with the form's CSRF token, and updates the page in place. Any failure posts the form as
 * it would be without script. No framework; the build only minifies it (Makefile.am,
 * static-min/). It never writes HTML it was not given by the server, and writes what it builds
 * with textContent only. */
(function () {
  'use strict';

  var me = document.getElementById('starling-script');
  if (!me || !window.fetch || !window.Intl || !Intl.PluralRules || !String.prototype.normalize)
    return;
  var words = me.dataset, body = document.body;
  var rules = new Intl.PluralRules(document.documentElement.lang || 'en');
  var live = document.createElement('div');

  live.className = 'js-live';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  body.appendChild(live);

  /* The form of message key for count n ("likesOne", "likesOther"), {n} replaced by n; a
   * language without the category ("one" in Chinese) has "other". */
  function plural(key, n) {
    var c = rules.select(n);
    var w = words[key + c.charAt(0).toUpperCase() + c.slice(1)] || words[key + 'Other'] || '';
    return w.replace('{n}', String(n));
  }

  function say(text) {
    live.textContent = '';
    /* A new text node a moment later: screen readers announce a change, not a repeat. */
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  /* Resolves to the envelope's data; rejects for any status but 2xx or a non-zero code. */
  function call(method, path, params, token) {
    var init = { method: method, credentials: 'same-origin',
      headers: { Accept: 'application/json' } };
    if (method === 'POST') {
      init.headers['Content-Type'] = 'application/json';
      init.headers['X-CSRF-Token'] = token;
      init.body = JSON.stringify(params);
    }
    return fetch('/api/v1/' + path, init).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok || j.code !== 0)
          throw new Error(j.message || r.status);
        return j.data;
      });
    });
  }

  /* ---- counts: post/stats for the posts in view, 100 ids a call (its limit) ---- */

  var STATS_MAX = 100;

  function showCounts(ul, s) {
    ul.querySelectorAll('[data-count]').forEach(function (span) {
      var k = span.getAttribute('data-count'), n = s[k], word = span.nextSibling;
      if (typeof n !== 'number' || span.textContent === String(n))
        return;
      span.textContent = String(n);
      if (word && word.nodeType === 3)
        word.nodeValue = ' ' + plural(k, n);
    });
  }

  function refreshStats(ids) {
    var uniq = ids.filter(function (id, i) { return ids.indexOf(id) === i; });
    var jobs = [];
    for (var i = 0; i < uniq.length; i += STATS_MAX)
      jobs.push(call('GET', 'post/stats?post_ids=' + uniq.slice(i, i + STATS_MAX).join(','))
        .then(function (data) {
          Object.keys(data).forEach(function (id) {
            document.querySelectorAll('[data-stats-for="' + id + '"]').forEach(function (ul) {
              showCounts(ul, data[id]);
            });
          });
        }, function () { /* the counts stay as they are until the next round */ }));
    return Promise.all(jobs);
  }

  /* In view, or a screen away from it: a reader scrolling on sees fresh counts. */
  function inView(el) {
    var r = el.getBoundingClientRect(), h = window.innerHeight;
    return r.bottom > -h && r.top < 2 * h;
  }

  function refreshVisible() {
    var ids = [];
    document.querySelectorAll('[data-stats-for]').forEach(function (ul) {
      if (inView(ul) && /^\d+$/.test(ul.getAttribute('data-stats-for')))
        ids.push(ul.getAttribute('data-stats-for'));
    });
    return ids.length ? refreshStats(ids) : Promise.resolve();
  }

  /* ---- the buttons: like, repost, bookmark, follow, mute, mark as read ---- */

  /* Each kind: the form's action (and for a card's form, whose buttons name their action, the
   * button's act), the words of its two states (off, on), and the API call that turns it on or
   * off. on() says what the button, as it stands, asks for. */
  var kinds = [
    { re: /^\/p\/(\d+)\/act$/, act: /^(?:un)?like$/, label: ['like', 'unlike'], stats: true,
      on: function (f, b) { return b.value === 'like'; },
      api: function (id, on) { return ['post/like', { post_id: id, islike: on ? 1 : 0 }]; },
      flip: function (f, b, on) { b.value = on ? 'unlike' : 'like'; } },
    { re: /^\/p\/(\d+)\/act$/, act: /^(?:undo_)?repost$/, label: ['repost', 'undoRepost'],
      stats: true,
      on: function (f, b) { return b.value === 'repost'; },
      api: function (id, on) {
        return on ? ['post/repost', { original_post_id: id }]
          : ['post/undo_repost', { post_id: id }];
      },
      flip: function (f, b, on) { b.value = on ? 'undo_repost' : 'repost'; } },
    { re: /^\/p\/(\d+)\/act$/, act: /^(?:un)?bookmark$/, label: ['bookmark', 'unbookmark'],
      on: function (f, b) { return b.value === 'bookmark'; },
      api: function (id, on) { return ['post/bookmark', { post_id: id, isbookmark: on ? 1 : 0 }]; },
      flip: function (f, b, on) { b.value = on ? 'unbookmark' : 'bookmark'; } },
    { re: /^\/u\/(\w+)\/follow$/, label: ['follow', 'unfollow'], profile: true,
      on: function (f) { return f.elements.flag.value === '1'; },
      api: function (id, on) { return ['user/follow', { target_username: id, flag: on ? 1 : 0 }]; },
      flip: function (f, b, on) { f.elements.flag.value = on ? '0' : '1'; } },
    { re: /^\/u\/(\w+)\/mute$/, label: ['mute', 'unmute'], profile: true,
      on: function (f) { return f.elements.flag.value === '1'; },
      api: function (id, on) { return ['user/mute', { target_username: id, flag: on ? 1 : 0 }]; },
      flip: function (f, b, on) { f.elements.flag.value = on ? '0' : '1'; } }
  ];

  /* The kind of button b of form f, with the ID its action names; null for any other. */
  function kindOf(f, b) {
    var action = f.getAttribute('action') || '', m;
    if (!b || b.form !== f)
      return null;
    for (var i = 0; i < kinds.length; i++)
      if ((m = kinds[i].re.exec(action)) && (!kinds[i].act || (b.name === 'act' &&
          kinds[i].act.test(b.value))))
        return { kind: kinds[i], id: m[1] };
    return null;
  }

  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

  function toggled(f, b, k, id, on) {
    k.flip(f, b, on, id);
    b.textContent = words[k.label[on ? 1 : 0]];
    b.classList.toggle('on', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    say(words['done' + cap(k.label[on ? 0 : 1])]);
    /* What the change moves on the page: a card's counts, a profile's, or nothing (a bookmark
     * is counted nowhere). */
    if (k.stats)
      refreshStats([id]);
    else if (k.profile)
      refreshProfile();
  }

  /* A profile's counts after a follow: the counts of the page itself, fetched again, so that
   * their words keep the server's plural forms ("1 follower"); parsed inert by DOMParser. */
  function refreshProfile() {
    var counts = document.querySelector('.profile .counts');
    if (!counts)
      return;
    fetch(window.location.pathname, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok)
        throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var fresh = doc.querySelector('.profile .counts');
      if (fresh)
        counts.replaceWith(document.importNode(fresh, true));
    }).catch(function () { /* shown at the next page load */ });
  }

  function markedRead(f) {
    var list = document.querySelector('.notifications');
    if (list) {
      list.querySelectorAll('.unread-mark').forEach(function (e) { e.remove(); });
      list.querySelectorAll('.unread').forEach(function (e) { e.classList.remove('unread'); });
    }
    f.remove();
    document.getElementById('main').focus();
    say(words.doneRead);
  }

  /* Sends what f would post when its button b is pressed; on success done(), on any failure the
   * form itself, with b's name and value as the browser would have sent them (submit() sends
   * no button). */
  function send(f, b, path, params, done) {
    var token = f.elements.csrf_token ? f.elements.csrf_token.value : '';
    f.setAttribute('aria-busy', 'true');
    call('POST', path, params, token).then(function () {
      f.removeAttribute('aria-busy');
      done();
    }, function () {
      if (b && b.name) {
        var pressed = document.createElement('input');
        pressed.type = 'hidden';
        pressed.name = b.name;
        pressed.value = b.value;
        f.appendChild(pressed);
      }
      f.submit();
    });
  }

  /* The button that submitted f: the event's submitter, or a form's only button (a browser
   * without SubmitEvent.submitter posts a card's form itself, as without script). */
  function submitter(ev, f) {
    var bs = f.querySelectorAll('button');
    return ev.submitter || (bs.length === 1 ? bs[0] : null);
  }

  document.addEventListener('submit', function (ev) {
    var f = ev.target, b = submitter(ev, f), kid;
    if (f.getAttribute('aria-busy') === 'true') {
      ev.preventDefault();
      return;
    }
    if (f.classList.contains('mark-read')) {
      ev.preventDefault();
      send(f, b, 'notification/read', { up_to_id: f.elements.up_to_id.value },
        function () { markedRead(f); });
    } else if ((kid = kindOf(f, b))) {
      var k = kid.kind, on = k.on(f, b), req = k.api(kid.id, on);
      ev.preventDefault();
      send(f, b, req[0], req[1], function () { toggled(f, b, k, kid.id, on); });
    }
  });

  /* Marks the forms this script sends itself (data-enhanced: tests and styles can tell), and
   * their buttons' state (aria-pressed). */
  function enhance(root) {
    root.querySelectorAll('form').forEach(function (f) {
      var mine = f.classList.contains('mark-read');
      f.querySelectorAll('button').forEach(function (b) {
        if (kindOf(f, b)) {
          b.setAttribute('aria-pressed', b.classList.contains('on') ? 'true' : 'false');
          mine = true;
        }
      });
      if (mine)
        f.setAttribute('data-enhanced', '');
    });
  }
  enhance(document);

  /* ---- the character counter: counted as lib/social/text.c's text_prepare counts ---- */

  var max = parseInt(body.getAttribute('data-max-chars'), 10);
  /* White space text_trim drops at both ends: tab, line feed, Unicode Zs, Zl, Zp. */
  var ends = /^[\t\n\p{Zs}\p{Zl}\p{Zp}]+|[\t\n\p{Zs}\p{Zl}\p{Zp}]+$/gu;
  var NEAR = 20;

  function chars(s) {
    return Array.from(s.replace(/\r\n?/g, '\n').normalize('NFC').replace(ends, '')).length;
  }

  function count(t) {
    var c = document.getElementById(t.id + '-counter'), left = max - chars(t.value);
    c.textContent = left >= 0 ? plural('charsLeft', left) : plural('charsOver', -left);
    c.classList.toggle('near', left <= NEAR && left >= 0);
    c.classList.toggle('over', left < 0);
    /* Announced only near the limit: a count read out at every key would drown the typing. */
    c.setAttribute('aria-live', left <= NEAR ? 'polite' : 'off');
    if (left < 0)
      t.setAttribute('aria-invalid', 'true');
    else
      t.removeAttribute('aria-invalid');
  }

  if (max > 0)
    document.querySelectorAll('form.compose textarea[name="content_text"]').forEach(function (t) {
      var c = document.createElement('p');
      c.className = 'counter';
      c.id = t.id + '-counter';
      t.insertAdjacentElement('afterend', c);
      t.setAttribute('aria-describedby',
        ((t.getAttribute('aria-describedby') || '') + ' ' + c.id).trim());
      t.addEventListener('input', function () { count(t); });
      count(t);
    });

  /* ---- new posts on the home timeline ---- */

  var tl = document.querySelector('.timeline[data-new-posts]'), bar = null, more = false;

  function newest() { return tl.getAttribute('data-newest-id') || ''; }

  function since() { return newest() ? '?since_id=' + newest() : ''; }

  function showBar(n) {
    if (!bar) {
      bar = document.createElement('button');
      bar.type = 'button';
      bar.className = 'new-posts';
      bar.addEventListener('click', insertNew);
      tl.insertBefore(bar, tl.firstChild);
    }
    var text = plural('newPosts', n);
    if (bar.textContent !== text) {
      bar.textContent = text;
      say(text);
    }
    bar.hidden = false;
  }

  function checkNew() {
    var asked = newest();
    return call('GET', 'timeline/home' + since()).then(function (data) {
      /* The new cards were inserted while this was on its way: its count is of those. */
      if (newest() !== asked)
        return;
      more = data.cursor !== '-1';
      if (data.posts.length)
        showBar(data.posts.length);
    }, function () { /* try again next round */ });
  }

  /* The cards come from the server's own page (/?since_id=, rendered and escaped as any page),
   * parsed inert by DOMParser: nothing in it runs. */
  function insertNew() {
    if (more) {
      window.location.assign('/');
      return;
    }
    fetch('/' + since(), { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok)
        throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var src = doc.querySelector('.timeline[data-new-posts]');
      var cards = src ? src.querySelectorAll('article.post') : [];
      var first = tl.querySelector('article.post') || bar.nextSibling;
      var empty = tl.querySelector('.empty');
      if (!src || !cards.length)
        throw new Error('no cards');
      cards.forEach(function (a) {
        var dup = document.getElementById(a.id);
        if (dup && dup.parentNode === tl)
          dup.remove();
        tl.insertBefore(document.importNode(a, true), first);
      });
      enhance(tl);
      if (empty)
        empty.remove();
      tl.setAttribute('data-newest-id', src.getAttribute('data-newest-id'));
      bar.hidden = true;
      var top = tl.querySelector('article.post');
      top.setAttribute('tabindex', '-1');
      top.focus();
      say(words.doneShown);
    }).catch(function () {
      window.location.assign('/');
    });
  }

  /* ---- the refresh: every data-refresh-s seconds while the page is visible ---- */

  var period = parseInt(body.getAttribute('data-refresh-s'), 10) * 1000, last = Date.now();

  function tick() {
    if (document.visibilityState !== 'visible')
      return;
    last = Date.now();
    refreshVisible();
    if (tl)
      checkNew();
  }

  if (period > 0) {
    window.setInterval(tick, period);
    /* Back to a tab left alone for longer than a period: refresh at once. */
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible' && Date.now() - last >= period)
        tick();
    });
  }

  /* ---- the time zone, for the server's dates, unless the visitor has one already ---- */

  var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!/(?:^|;\s*)starling_tz=/.test(document.cookie) && /^[A-Za-z0-9_+\-/]{1,64}$/.test(tz || ''))
    document.cookie = 'starling_tz=' + tz + '; path=/; max-age=31536000; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
}());
