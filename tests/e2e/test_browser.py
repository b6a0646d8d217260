"""The annotator's path in a real browser: Playwright drives Debian's Chromium against the test
Label Studio. Log in as an annotator, see the Devanagari text and the pre-annotations, select a
span with the mouse and label it, draw a relation from a trigger to it, submit, export, and find
exactly that span and that relation in the dataset. Twice: on a seed article, and on an article
with emoji and a Latin-script tweet before the span. Screenshots go to test-artifacts/.

Needs `chromium` and `fonts-noto-core` from Debian (.ci/run installs them). Without them the test
is skipped with the command to run, or fails when KHABAR_REQUIRE_BROWSER is set (as in CI).
"""

from __future__ import annotations

import json
import os

from datasets import load_from_disk
from khabar.annotations.format import parse_results
from khabar.corpus.article import Article
from khabar.corpus.sentences import split_sentences
from khabar.studio.client import Client
from tests.conftest import ARTIFACTS, ROOT, run_khabar, start_backend, stop

TWEET = (
    "जयशंकर ने लिखा 😀🙏 @DrSJaishankar: Productive talks with FM Lavrov in Moscow today 🇮🇳🇷🇺 "
    "इसके बाद मॉस्को में निकोलाई पेत्रुशेव से मुलाकात हुई।"
)
ANNOTATOR = ("meera.browser@khabar.test", "meera-pass-2026")

# Text offsets -> a mouse-sized box. Label Studio draws the text without its newlines, and the
# browser counts UTF-16 code units: Python passes offsets already converted to that.
RECT_JS = """([start, end]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let off = 0;
  while (walk.nextNode()) { nodes.push([walk.currentNode, off]); off += walk.currentNode.length; }
  const at = (pos, isEnd) => { for (const [n, o] of nodes) {
      if (isEnd ? (pos > o && pos <= o + n.length) : (pos >= o && pos < o + n.length))
        return [n, pos - o]; } };
  const r = document.createRange(); r.setStart(...at(start, false)); r.setEnd(...at(end, true));
  r.startContainer.parentElement.scrollIntoView({block: 'center'});
  const rects = [...r.getClientRects()].filter(x => x.width > 0);
  const a = rects[0], z = rects[rects.length - 1];
  return {x0: a.left, y0: (a.top + a.bottom) / 2, x1: z.right, y1: (z.top + z.bottom) / 2};
}"""


def _dom(text: str, i: int) -> int:
    """Where code-point offset i of the task text falls in the editor's DOM text."""
    return len(text[:i].replace("\n", "").encode("utf-16-le")) // 2


class Editor:
    """Label Studio's labelling screen, driven by mouse and keyboard as an annotator would."""

    def __init__(self, page, url: str):
        self.page, self.url = page, url

    def login(self, email: str, password: str) -> None:
        """Log in through the login form."""
        self.page.goto(f"{self.url}/user/login/")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def open(self, project: int, task: int) -> None:
        """Open a task in the editor and wait for its regions."""
        self.page.goto(f"{self.url}/projects/{project}/data?task={task}")
        self.page.wait_for_selector(".htx-highlight", timeout=90_000)

    def shown_text(self) -> str:
        """The article text as the editor renders it."""
        return self.page.locator(".lsf-richtext__container").inner_text()

    def highlighted(self) -> list[str]:
        """The text of every region drawn in the editor."""
        return self.page.locator(".htx-highlight").all_inner_texts()

    def _box(self, text: str, start: int, end: int) -> dict:
        return self.page.evaluate(RECT_JS, [_dom(text, start), _dom(text, end)])

    def label_by_mouse(self, text: str, start: int, end: int, label: str) -> None:
        """Pick the label, then drag across the span."""
        self.page.locator(".lsf-label", has=self.page.get_by_text(label, exact=True)).first.click()
        box = self._box(text, start, end)
        self.page.mouse.move(box["x0"] + 1, box["y0"])
        self.page.mouse.down()
        self.page.mouse.move(box["x1"] - 1, box["y1"], steps=8)
        self.page.mouse.up()
        self.page.keyboard.press("Escape")

    def _until(self, js: str, arg=None) -> None:
        """Wait until the editor's own state (Label Studio's `window.Htx` store) says `js`."""
        self.page.wait_for_function(f"(arg) => {{ const a = window.Htx.annotationStore.selected; "
                                    f"return {js}; }}", arg=arg, timeout=60_000)  # fmt: skip

    def click_region(self, text: str, start: int, end: int) -> None:
        """Click the middle of a region."""
        box = self._box(text, start, end)
        self.page.mouse.click((box["x0"] + box["x1"]) / 2, box["y0"])

    def relate(self, text: str, source: tuple[int, int], target: tuple[int, int],
               role: str) -> None:  # fmt: skip
        """Select the source region, Alt+R, click the target, then give the relation its role."""
        self.click_region(text, *source)
        self._until("!!a.highlightedNode && a.highlightedNode.text === arg",
                    text[source[0] : source[1]])  # fmt: skip
        self.page.keyboard.press("Alt+r")
        self._until("a.relationMode")
        made = self.page.evaluate("() => window.Htx.annotationStore.selected"
                                  ".relationStore.relations.length")  # fmt: skip
        self.click_region(text, *target)
        self._until("a.relationStore.relations.length > arg", made)
        self.page.locator(".lsf-panel-tabs__tab", has_text="Relations").first.click()
        item = self.page.locator(".lsf-relations__item").last
        item.hover()
        item.get_by_label("Show Relation Labels").click()
        self.page.locator(".lsf-relation-meta").last.get_by_text("Select labels").click()
        self.page.get_by_text(role, exact=True).last.click()
        self.page.locator(".lsf-relations__section-head").first.click()  # closes the dropdown
        self._until("(r => r.length && (r[r.length - 1].labels || []).includes(arg))"
                    "(a.relationStore.relations)", role)  # fmt: skip

    def relations_shown(self) -> str:
        """The Relations panel's text."""
        return self.page.locator(".lsf-relations").first.inner_text()

    def submit(self) -> None:
        """Submit the annotation and wait until the server has it."""
        with self.page.expect_response(lambda r: "/annotations" in r.url
                                       and r.request.method == "POST") as resp:  # fmt: skip
            self.page.get_by_role("button", name="Submit").click()
        assert resp.value.ok, resp.value.text()


def _span(text: str, word: str, after: str = "") -> tuple[int, int]:
    start = text.index(word, text.index(after) if after else 0)
    return start, start + len(word)


def test_annotator_labels_in_the_browser_and_export_has_it(
    browser, label_studio, ls_env, seed_articles, schema, tmp_path
):
    from khabar.studio.prelabel import build_task, load_gazetteer

    tweet = Article(id="tweet-emoji", origin="fixture/tweet", text=TWEET, title="ट्वीट",
                    sentences=split_sentences(TWEET))  # fmt: skip
    gaz = load_gazetteer(ROOT / "annotation" / "gazetteer.yaml")
    tasks_file = tmp_path / "tasks.json"
    tasks_file.write_text(json.dumps([build_task(a, schema, gaz) for a in [*seed_articles, tweet]],
                                     ensure_ascii=False), "utf-8")  # fmt: skip
    run_khabar("push", "--tasks", tasks_file, env=ls_env)
    client = Client(*label_studio)
    pid = client.find_project(ls_env["KHABAR_PROJECT"])
    client.add_annotator(*ANNOTATOR)
    tasks = {t["data"]["article_id"]: t for t in client.tasks(pid)}
    seed, tw = tasks[seed_articles[0].id], tasks["tweet-emoji"]
    # What the annotator adds: a person the rules missed, as participant of a predicted meeting.
    cases = [
        ("seed", seed, _span(seed["data"]["text"], "सर्गेई", "जयशंकर और सर्गेई"),
         _span(seed["data"]["text"], "मुलाकात", "जयशंकर और सर्गेई")),
        ("tweet", tw, _span(TWEET, "निकोलाई पेत्रुशेव"), _span(TWEET, "मुलाकात")),
    ]  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    editor = Editor(page, label_studio[0])
    editor.login(*ANNOTATOR)
    for name, task, (s, e), (ts, te) in cases:
        text = task["data"]["text"]
        predicted, _, _ = parse_results(task["predictions"][0]["result"])
        assert any((p["value"]["start"], p["value"]["end"]) == (ts, te) for p in predicted)
        assert not any(p["value"]["start"] < e and s < p["value"]["end"] for p in predicted)
        editor.open(pid, task["id"])
        shown = editor.shown_text()
        assert text.split("\n")[0] in shown and "।" in shown  # the Devanagari text is there
        assert sorted(editor.highlighted()) == sorted(p["value"]["text"] for p in predicted)
        editor.label_by_mouse(text, s, e, "PER")
        assert text[s:e] in editor.highlighted()
        editor.relate(text, (ts, te), (s, e), "participant")
        assert "participant" in editor.relations_shown()
        page.screenshot(path=str(ARTIFACTS / f"browser-labelled-{name}.png"), full_page=True)
        editor.submit()
    page.close()

    # A colleague's annotation of a third article, so that every split has an article.
    third = tasks[seed_articles[1].id]
    other, _ = client.add_annotator("colleague.browser@khabar.test", "colleague-pass-2026")
    client.call(client.sdk.annotations.create, id=third["id"], completed_by=other, lead_time=60.0,
                result=third["predictions"][0]["result"])  # fmt: skip
    ds = tmp_path / "dataset"
    out = run_khabar("export", "--out", tmp_path / "export" / "export.json", "--dataset", ds,
                     "--conll", tmp_path / "conll", "--splits", tmp_path / "splits.tsv",
                     env=ls_env)  # fmt: skip
    assert "3/6 tasks used" in out
    dd = load_from_disk(str(ds))
    rows = {r["id"]: r for split in dd.values() for r in split}
    names = dd["train"].features["entities"].feature["label"].names
    roles = dd["train"].features["arguments"].feature["role"].names
    for name, task, (s, e), (ts, te) in cases:
        found = [
            (r, x)
            for r in rows.values()
            if r["article_id"] == task["data"]["article_id"]
            for x in r["entities"]
            if (r["sentence_start"] + x["start"], r["sentence_start"] + x["end"]) == (s, e)
        ]
        assert len(found) == 1, name
        row, ent = found[0]
        assert names[ent["label"]] == "PER" and ent["text"] == task["data"]["text"][s:e]
        trig = [x for x in row["triggers"]
                if (row["sentence_start"] + x["start"], row["sentence_start"] + x["end"]) ==
                (ts, te)]  # fmt: skip
        assert len(trig) == 1
        assert {
            "trigger_id": trig[0]["id"],
            "entity_id": ent["id"],
            "role": roles.index("participant"),
        } in row["arguments"], name
        assert row["decided_by"] == "single" and row["annotation_source"] == "annotator"
    assert (ARTIFACTS / "browser-labelled-tweet.png").stat().st_size > 10_000


def test_the_editor_widens_devanagari_selections_to_whole_words(
    browser, label_studio, client, seed_articles, schema, tmp_path
):
    """The generated config's `granularity="word"`, tried with Devanagari: a drag from the start
    of जयशंकर to its middle, and one from inside the conjunct of क्षेत्रीय to its middle, give
    regions over the whole words."""
    from khabar.annotations.format import task_data
    from khabar.schema import label_config

    config = label_config(schema)
    assert '<Text name="text" value="$text" granularity="word"/>' in config
    pid = client.ensure_project(f"granularity-{tmp_path.name}", config)
    article = seed_articles[0]
    client.import_tasks(pid, [{"data": task_data(article)}])
    task = client.tasks(pid)[0]
    text = task["data"]["text"]
    s, e = _span(text, "जयशंकर")
    k = text.index("क्षेत्रीय")  # a conjunct first, a vowel sign last
    client.add_annotator(*ANNOTATOR)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    editor = Editor(page, label_studio[0])
    editor.login(*ANNOTATOR)
    page.goto(f"{label_studio[0]}/projects/{pid}/data?task={task['id']}")
    page.wait_for_selector(".lsf-richtext__container", timeout=90_000)
    editor.label_by_mouse(text, s, e - 2, "PER")  # जयशं|कर: the drag stops mid-word
    editor.label_by_mouse(text, k + 1, k + 5, "LOC")  # क|्षेत्|रीय: starts after the consonant
    drawn = editor.highlighted()
    page.screenshot(path=str(ARTIFACTS / "browser-granularity-word.png"), full_page=True)
    editor.submit()
    page.close()
    (ann,) = client.call(client.sdk.annotations.list, id=task["id"])
    got = sorted((r["value"]["start"], r["value"]["end"], r["value"]["text"])
                 for r in ann.result if r["type"] == "labels")  # fmt: skip
    print(f"granularity=word: drags over {text[s : e - 2]!r}, {text[k + 1 : k + 5]!r} -> {got}")
    (ARTIFACTS / "granularity-word.json").write_text(json.dumps(
        {"dragged": [text[s : e - 2], text[k + 1 : k + 5]], "regions": got, "drawn": drawn},
        ensure_ascii=False), "utf-8")  # fmt: skip
    assert got == [(s, e, "जयशंकर"), (k, k + 9, "क्षेत्रीय")]


def test_the_backend_pre_annotates_a_task_opened_in_the_browser(
    browser, label_studio, client, schema, tiny_run, tmp_path
):
    """A task imported with its text only, opened in the editor with `khabar serve-backend`
    connected: the regions drawn are the backend's prediction (Label Studio asked for it)."""
    from khabar.schema import label_config
    from khabar.studio.mlbackend import connect_backend

    proc, url = start_backend(tiny_run.path, dict(os.environ), tmp_path, "--no-train")
    try:
        pid = client.ensure_project(f"backend-browser-{tmp_path.name}", label_config(schema))
        connect_backend(client, pid, url, train_on_submit=False)
        text = TWEET
        (tid,) = client.import_tasks(pid, [{"data": {"text": text, "title": "ट्वीट"}}])
        client.add_annotator(*ANNOTATOR)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        editor = Editor(page, label_studio[0])
        editor.login(*ANNOTATOR)
        editor.open(pid, tid)
        drawn = editor.highlighted()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-backend-prediction.png"), full_page=True)
        page.close()
    finally:
        stop(proc)
    (pred,) = client.call(client.sdk.predictions.list, task=tid)
    assert pred.model_version == tiny_run.name
    regions = [r["value"]["text"] for r in pred.result if r["type"] == "labels"]
    assert regions and sorted(t.strip() for t in drawn) == sorted(regions)
