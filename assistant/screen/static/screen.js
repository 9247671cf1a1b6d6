// The student's screen: shows what the session says and hears, and sends the
// student's buttons, typed answers and settings back. The session's engine decides
// everything; this page only shows its events and posts what the student chose
// (a button sends the same words the student could have said). No library, no CDN:
// the classroom may be offline.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const root = document.documentElement;
  const promptBox = $("prompt");
  const answer = $("answer");
  const settingsPanel = $("settings");
  const settingsButton = $("settings-button");

  let lastKind = null;      // the kind of the last line shown ("prompt" or "message")
  let nowWord = null;       // the word span lit now
  let settings = {};
  let ended = false;
  let scanFromStart = true; // the next scan step starts at the first item (after a choice or a new question)
  let dwellTimer = null;
  let translated = false;
  let texts = {};           // the page's words in the student's language (settings.texts); none: index.html's English

  // ------------------------------------------------------------------ the page's words, in the student's language

  // A text of the table, its {placeholders} filled; the English one while there is none.
  function t(key, english, fields) {
    let s = texts[key] || english;
    for (const [name, value] of Object.entries(fields || {})) s = s.split("{" + name + "}").join(String(value));
    return s;
  }

  function translate(table, buttons) {
    texts = Object.assign({}, table || {});
    for (const el of document.querySelectorAll("[data-text]")) {
      const key = el.dataset.text;
      if (!texts[key]) continue;
      // an option's number is its value ("Moves every 1.5 seconds")
      const text = t(key, "", { rate: el.value, seconds: el.value });
      // a button keeps its shortcut key: only its words change
      const words = Array.from(el.childNodes).find((n) => n.nodeType === Node.TEXT_NODE);
      if (el.children.length && words) words.textContent = text;
      else el.textContent = text;
    }
    for (const el of document.querySelectorAll("[data-label-text]")) {
      if (texts[el.dataset.labelText]) el.setAttribute("aria-label", texts[el.dataset.labelText]);
    }
    // A button sends its command in the student's language: the words the student
    // could have said, which the session's vocabulary of that language understands.
    for (const b of document.querySelectorAll("button[data-say]")) {
      if (!b.dataset.command) b.dataset.command = b.dataset.say;
      if (buttons && buttons[b.dataset.command]) b.dataset.say = buttons[b.dataset.command];
    }
    LOST = t("lost", LOST_EN);
    NOT_ANSWERING = t("not_answering", NOT_ANSWERING_EN);
    NOT_TAKEN = t("not_taken", NOT_TAKEN_EN);
    SAID_PROBLEMS = new Set([LOST, NOT_ANSWERING, NOT_TAKEN]);
  }

  // ------------------------------------------------------------------ lines and words

  function line(data) {
    // A prompt ends a block: whatever is said after it starts a new one, so the
    // screen shows what was said since the last question, and the question.
    if (lastKind === "prompt") promptBox.replaceChildren();
    lastKind = data.kind;
    const p = document.createElement("p");
    p.className = "line " + (data.kind === "prompt" ? "prompt-line" : "message");
    p.dataset.line = String(data.id);
    const words = Array.isArray(data.words) ? data.words : String(data.text || "").split(/\s+/).filter(Boolean);
    words.forEach((w, i) => {
      if (i) p.append(" ");
      const span = document.createElement("span");
      span.className = "word";
      span.dataset.index = String(i);
      span.textContent = w;  // text, never HTML: these are the student's own words too
      p.append(span);
    });
    promptBox.append(p);
    if (data.kind === "prompt") setProblem("");
  }

  function light(span) {
    if (nowWord) nowWord.classList.remove("now");
    nowWord = span || null;
    if (nowWord) nowWord.classList.add("now");
  }

  function word(data) {
    const p = promptBox.querySelector(`p[data-line="${Number(data.id)}"]`);
    light(p ? p.querySelector(`span[data-index="${Number(data.index)}"]`) : null);
  }

  function spoken(data) {
    if (nowWord && nowWord.closest(`p[data-line="${Number(data.id)}"]`)) light(null);
  }

  // ------------------------------------------------------------------ listening

  function listen(data) {
    const on = !!data.on;
    $("listening").hidden = !on;
    document.body.classList.toggle("yes-no", on && data.expect === "yes_no");
    if (on) {
      $("caption").textContent = "";
      $("caption").hidden = true;
      $("caption").classList.remove("final");
      $("level").value = -60;
      scanFromStart = true;
      restartDwell();
    }
    const box = $("choices");
    box.replaceChildren();
    const known = new Set(Array.from(document.querySelectorAll("button[data-say]"), (b) => b.dataset.say.toLowerCase()));
    if (on && data.expect === "choice") {
      for (const choice of data.choices || []) {
        if (known.has(String(choice).toLowerCase())) continue;
        const b = document.createElement("button");
        b.type = "button";
        b.className = "command choice";
        // A choice that is no command ("not sure") is sent as the answer it is: the
        // same words the student could say, and the engine decides what they mean.
        b.dataset.answer = choice;
        b.dataset.scan = "";
        b.textContent = choice.charAt(0).toUpperCase() + choice.slice(1);
        box.append(b);
      }
    }
  }

  function level(data) {
    const db = Number(data.db);
    if (Number.isFinite(db)) $("level").value = Math.max(-60, Math.min(0, db));
  }

  function caption(data) {
    const c = $("caption");
    c.textContent = data.text || "";
    c.hidden = !data.text;
  }

  function heard(data) {
    // The caption's last word: what was finally heard stays under the question
    // while it is read back ("I heard: ... Is that right?" is the next line).
    const c = $("caption");
    c.textContent = data.text || "";
    c.hidden = !data.text;
    c.classList.add("final");
  }

  // ------------------------------------------------------------------ where, cards, problems, end

  function where(data) {
    $("section").textContent = data.section || t("my_iep", "My IEP");
    const bar = $("progress");
    const total = Number(data.total) || 0;
    const number = Number(data.number) || 0;
    $("progress-label").textContent = total ? t("section_count", "Section {number} of {total}", { number, total }) : "";
    bar.hidden = !total;
    bar.max = Math.max(total, 1);
    bar.value = Math.min(number, bar.max);
  }

  function cards(data) {
    const list = $("card-list");
    list.replaceChildren();
    (data.cards || []).forEach((card, i) => {
      const li = document.createElement("li");
      li.className = "card";
      li.dataset.index = String(i);
      const h = document.createElement("h3");
      h.textContent = card.title;
      const p = document.createElement("p");
      p.textContent = card.text;
      li.append(h, p);
      list.append(li);
    });
    $("cards").hidden = !(data.cards || []).length;
  }

  function card(data) {
    for (const li of $("card-list").children) {
      const reading = li.dataset.index === String(data.index);
      li.classList.toggle("reading", reading);
      if (reading) {
        li.setAttribute("aria-current", "true");
        li.scrollIntoView({ block: "nearest" });
      } else {
        li.removeAttribute("aria-current");
      }
    }
  }

  // Two kinds of problem: the session's (a lost microphone: it stays until the
  // session says it is over, as it would after a reload) and the page's own (a press
  // that did not arrive: gone at the next question).
  const LOST_EN = "The screen lost touch with the assistant. It is trying again.";
  const NOT_ANSWERING_EN = "The assistant is not answering. Ask your teacher for help.";
  const NOT_TAKEN_EN = "The assistant could not take that. Please try again.";
  let LOST = LOST_EN;
  let NOT_ANSWERING = NOT_ANSWERING_EN;
  let NOT_TAKEN = NOT_TAKEN_EN;
  let sessionProblem = "";
  let pageProblem = "";

  function showProblems() {
    $("problem").textContent = [sessionProblem, pageProblem].filter(Boolean).join(" ");
  }

  // The problems the page finds itself: shown, and said while the session can still
  // speak (a POST that fails is not retried: the words stay on the screen).
  let SAID_PROBLEMS = new Set([LOST, NOT_ANSWERING, NOT_TAKEN]);

  function setProblem(text) {
    pageProblem = text || "";
    showProblems();
    if (SAID_PROBLEMS.has(pageProblem)) sayLabel(pageProblem);
  }

  function problem(data) {
    sessionProblem = (data && data.text) || "";
    showProblems();
  }

  function end(data) {
    ended = true;
    stopDwell();
    $("end-text").textContent = data.text || "";
    $("end").hidden = false;
    $("listening").hidden = true;
    document.body.classList.remove("yes-no");
    for (const el of document.querySelectorAll("main button, main input")) el.disabled = true;
  }

  // ------------------------------------------------------------------ settings

  function chooseIn(select, value) {
    // A saved value the list does not offer (e.g. a rate set by "slower") is shown as it is.
    const v = String(value);
    if (!Array.from(select.options).some((o) => o.value === v)) {
      const o = document.createElement("option");
      o.value = v;
      const key = select.dataset.setting;
      o.textContent = key === "text_size" ? v + "%"
        : key === "voice" ? v.replace(/^piper:/, "Natural voice ").replace(/^espeak:/, "Robot voice ") : v;
      select.append(o);
    }
    select.value = v;
  }

  function applySettings(s) {
    settings = Object.assign({}, settings, s);
    if (settings.text_size) root.style.setProperty("--size", String(Number(settings.text_size) / 100));
    if (settings.line_spacing) root.style.setProperty("--line", String(Number(settings.line_spacing)));
    if (settings.letter_spacing !== undefined) root.style.setProperty("--letter", Number(settings.letter_spacing) + "em");
    if (settings.theme) root.dataset.theme = settings.theme;
    if (settings.font) root.dataset.font = settings.font;
    // the student's language: a screen reader reads the page in it, and the fonts shape its letters
    if (settings.language) root.lang = String(settings.language);
    // once: the texts do not change in a session, and a later settings event must not
    // put "My IEP" back over the section shown
    if (s.texts && !translated) {
      translated = true;
      translate(s.texts, s.buttons);
    }
    for (const select of settingsPanel.querySelectorAll("select[data-setting]")) {
      const key = select.dataset.setting;
      if (settings[key] !== undefined && settings[key] !== null && document.activeElement !== select) chooseIn(select, settings[key]);
    }
    restartDwell();
  }

  async function post(path, body) {
    try {
      const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (r.status === 204) return true;
      const text = (await r.text()).trim();
      setProblem(text || NOT_TAKEN);
    } catch (e) {
      setProblem(NOT_ANSWERING);
    }
    return false;
  }

  function changeSetting(select) {
    const key = select.dataset.setting;
    let value = select.value;
    if (select.dataset.type === "int") value = parseInt(value, 10);
    if (select.dataset.type === "float") value = parseFloat(value);
    if (select.dataset.type === "bool") value = value === "true";
    applySettings({ [key]: value });  // at once; the session's echo confirms it
    post("settings", { [key]: value });
  }

  function openSettings(open) {
    settingsPanel.hidden = !open;
    settingsButton.setAttribute("aria-expanded", String(open));
    if (open) settingsPanel.querySelector("select").focus();
    else settingsButton.focus();
    restartDwell();
  }

  // ------------------------------------------------------------------ the page's own words, said
  // Every word shown is spoken: the name of the control the focus reaches by Tab or
  // by a scan step is said by the session (POST speak; the session says only the
  // page's own words and the question's choices). Not on a mouse click or a touch:
  // whoever points at a button has found it. A shortcut key presses its button: the
  // press is what is heard.

  let pointing = false;   // the last thing the student did was point (mouse, touch)
  let quietFocus = false; // a focus the page moves itself without saying it

  function nameOf(el) {
    if (!el || el === document.body) return "";
    if (el.id === "listening") return $("listening-text").textContent.trim();
    if (el.id === "where") {
      const title = $("section").textContent.trim();
      const count = $("progress-label").textContent.trim();
      return count ? `${title}. ${count}` : title;
    }
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label) return label.textContent.trim();
    }
    if (el.matches("button")) {
      // the button's words without its shortcut key's letter
      return Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent).join("").trim();
    }
    return "";
  }

  // One label on its way at a time: requests sent together may arrive in any order,
  // and the focus's latest name must be the one said last. A label overtaken by a
  // newer one while waiting is not sent (the newer one would cut it at once anyway).
  let labelSending = false;
  let labelNext = null;

  function sayLabel(label) {
    if (!label || settings.speak_labels === false) return;  // "Say buttons aloud" off: nothing is said
    labelNext = label;
    if (!labelSending) sendLabel();
  }

  function sendLabel() {
    const label = labelNext;
    labelNext = null;
    labelSending = label !== null;
    if (!labelSending) return;
    // Its failure is not a problem of its own: the words are on the screen.
    fetch("speak", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ label }) }).catch(() => {}).finally(sendLabel);
  }

  function focusQuietly(el) {
    quietFocus = true;
    try { el.focus(); } finally { quietFocus = false; }
  }

  document.addEventListener("pointerdown", () => { pointing = true; }, true);
  document.addEventListener("keydown", () => { pointing = false; }, true);
  document.addEventListener("focusin", (e) => {
    if (!pointing && !quietFocus) sayLabel(nameOf(e.target));
  });

  // ------------------------------------------------------------------ the student's choices

  function say(phrase) {
    if (ended) return;
    scanFromStart = true;
    post("input", { say: phrase });
  }

  function sendAnswer() {
    const text = answer.value.trim();
    if (!text || ended) return;
    post("input", { answer: text }).then((ok) => { if (ok) answer.value = ""; });
    scanFromStart = true;
  }

  // ------------------------------------------------------------------ single switch scanning
  // The scan highlight is the keyboard focus itself (plus a thicker ring), so what
  // a switch user steps to is what a screen reader announces and Enter presses.

  function scanItems() {
    // The answers and the commands, from Yes (where a yes/no question starts). Not
    // Settings: its lists need a keyboard or a pointer, and a switch user who
    // opened it could not get back out.
    const items = Array.from(document.querySelectorAll("main [data-scan]"));
    return items.filter((el) => !el.disabled && el.getClientRects().length > 0 && !el.closest("[hidden]"));
  }

  function step() {
    const items = scanItems();
    if (!items.length) return;
    let i = items.indexOf(document.activeElement);
    i = scanFromStart || i < 0 ? 0 : (i + 1) % items.length;
    scanFromStart = false;
    for (const el of document.querySelectorAll(".scan")) el.classList.remove("scan");
    items[i].classList.add("scan");
    // Auditory scanning: each step says where the highlight is, also when it stays
    // on the one item there is, and also after a click (a switch is not a pointer).
    focusQuietly(items[i]);
    sayLabel(nameOf(items[i]));
  }

  function select() {
    const el = document.activeElement;
    if (!el || el === document.body) return step();
    if (el === answer) return sendAnswer();
    if (el.matches("button")) {
      el.click();
      // The scan starts again from the top at its next move, and nothing stays
      // lit meanwhile: a second press cannot choose the same thing twice by accident.
      el.classList.remove("scan");
      el.blur();
      scanFromStart = true;
    }
  }

  function dwell() {
    return Number(settings.dwell) || 0;
  }

  function stopDwell() {
    if (dwellTimer) clearInterval(dwellTimer);
    dwellTimer = null;
  }

  function restartDwell() {
    stopDwell();
    if (dwell() > 0 && !ended) {
      dwellTimer = setInterval(() => {
        // never move away from a student who is typing, or who is in the settings
        if (!settingsPanel.hidden || (document.activeElement === answer && answer.value)) return;
        step();
      }, dwell() * 1000);
    }
  }

  document.addEventListener("focusout", (e) => {
    if (e.target.classList) e.target.classList.remove("scan");
  });

  function typing(el) {
    return el && (el.matches("select, textarea") || (el.matches("input") && el.value !== ""));
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const el = document.activeElement;
    if (e.key === "Escape" && !settingsPanel.hidden) {
      e.preventDefault();
      return openSettings(false);
    }
    if (settingsPanel.contains(el)) return;  // the settings are ordinary form controls
    if (e.key === " " && !typing(el)) {
      e.preventDefault();  // Space steps (or selects, when the scan moves by itself): it does not press
      return dwell() > 0 ? select() : step();
    }
    if (e.key === "Enter" && dwell() > 0 && !typing(el)) {
      e.preventDefault();
      return select();
    }
    if (el && el.matches("input, select, textarea")) return;  // letters are typing there
    if (e.key.length === 1) {
      const key = e.key.toLowerCase();
      if (key === "g") {
        e.preventDefault();
        return openSettings(settingsPanel.hidden);
      }
      const button = document.querySelector(`button[data-key="${CSS.escape(key)}"]`);
      if (button && !button.disabled) {
        e.preventDefault();
        focusQuietly(button);
        button.click();
      }
    }
  });

  // Space on a button presses it on keyup: that was a scan step, not a press.
  document.addEventListener("keyup", (e) => {
    if (e.key === " " && !typing(document.activeElement) && !settingsPanel.contains(document.activeElement)) e.preventDefault();
  });

  document.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-say]");
    if (b) say(b.dataset.say);
    const c = e.target.closest("button[data-answer]");
    if (c && !ended) {
      scanFromStart = true;
      post("input", { answer: c.dataset.answer });
    }
  });

  $("answer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sendAnswer();
  });
  settingsButton.addEventListener("click", () => openSettings(settingsPanel.hidden));
  $("settings-close").addEventListener("click", () => openSettings(false));
  for (const select of settingsPanel.querySelectorAll("select[data-setting]")) {
    select.addEventListener("change", () => changeSetting(select));
  }

  // ------------------------------------------------------------------ the session's events

  const handlers = {
    say: line, word, spoken, listen, level, caption, heard, where, cards, card,
    problem, settings: applySettings, end,
  };

  function state(snapshot) {
    // A page that (re)connects: show what is current. What was heard comes before
    // the listening: a new listening (the next question) clears it.
    promptBox.replaceChildren();
    lastKind = null;
    sessionProblem = "";
    for (const type of ["settings", "where", "cards", "say", "word", "heard", "listen", "caption", "card", "problem", "end"]) {
      const data = snapshot[type];
      if (data) handlers[type](data);
    }
  }

  let lost = false;
  const source = new EventSource("events");
  source.addEventListener("state", (e) => state(JSON.parse(e.data)));
  for (const type of Object.keys(handlers)) {
    source.addEventListener(type, (e) => {
      if (type === "end") source.close();
      handlers[type](JSON.parse(e.data));
    });
  }
  source.addEventListener("open", () => {
    if (lost) setProblem("");
    lost = false;
  });
  source.addEventListener("error", () => {
    if (ended) return source.close();
    lost = true;
    setProblem(LOST);
  });
})();
