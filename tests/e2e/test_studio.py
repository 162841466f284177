"""The studio in a real browser: Debian's chromium driven by Playwright against `make run`.

A producer signs in with a key, auditions a voice, writes a two-section script with a
placeholder (and sees a malformed SSML tag reported where it is), renders it for two
listeners over a sound template, watches the API's progress reach done, plays the master
(its waveform drawn, its captions naming the listener) and reads the loudness figures, which
must be the API's own. Every call the page makes goes to this runtime; none fails but the one
the malformed tag asks for. Screenshots of each screen land in `.studio-screenshots/`.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from audiofn.codecs import decode
from audiofn.stt.wer import word_error_rate
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SHOTS = ROOT / ".studio-screenshots"
STUDIO_DIR = ROOT / "shared/audiofn/studio"
SCRIPT = (
    "<<sectionName::greeting>> Good morning {{name|friend}}! Here is your briefing.\n"
    "<<sectionName::news>> The markets were calm today. See you tomorrow."
)
BROKEN = SCRIPT.replace("calm today.", "<emphasis>calm today.")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium: `make test` installs Debian's chromium with apt-get where it can")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class PageWatch:
    """Console errors and failed requests of one page, as a person's devtools would show."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.outside: list[str] = []
        self.posted: dict[str, Any] = {}  # path -> the last JSON body sent there
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", self._response)
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.request.method} {response.url}")

    def _request(self, request: Any) -> None:
        if request.method == "POST" and "json" in (request.headers.get("content-type") or ""):
            self.posted[request.url.split("?")[0].rsplit("/", 1)[-1]] = request.post_data_json
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            self.outside.append(request.url)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, runtime: Any) -> None:
    page.goto(f"{runtime.url}/studio/")
    page.get_by_test_id("api-key-input").fill(runtime.api_key)
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("voice-preview").first.wait_for()


def test_the_index_links_the_studio_whose_files_all_come_from_the_service(runtime):
    page = httpx.get(f"{runtime.url}/", headers={"Accept": "text/html"})
    assert 'href="studio/"' in page.text
    assert httpx.get(f"{runtime.url}/").json()["studio"] == "/studio/"
    assert httpx.get(f"{runtime.url}/studio").headers["location"] == "/studio/"

    studio = httpx.get(f"{runtime.url}/studio/")
    assert studio.status_code == 200
    assert studio.headers["content-type"].startswith("text/html")
    # The first page is small: every file it loads, uncompressed, well under 300 KB
    sent = sum(
        len(httpx.get(f"{runtime.url}/studio/{p.name}").content) for p in STUDIO_DIR.iterdir()
    )
    assert sent < 300_000
    for path in sorted(STUDIO_DIR.iterdir()):
        text = path.read_text(encoding="utf-8")
        outside = re.findall(r"""(?:src|href)\s*=\s*["']?https?://""", text)
        assert not outside, f"{path.name} loads something from another address"
        answer = httpx.get(f"{runtime.url}/studio/{path.name}")
        assert answer.status_code == 200, path.name
        assert answer.text == text
    # Only the studio's own files, by name
    for name in ("secrets.txt", "..%2Fapi%2Fauth.py", "api.py", "studio.py"):
        assert httpx.get(f"{runtime.url}/studio/{name}").status_code == 404, name


def test_a_wrong_key_is_refused_with_the_apis_message_and_shows_no_workspace(runtime, browser):
    page = browser.new_page()
    page.goto(f"{runtime.url}/studio/")
    page.get_by_test_id("api-key-input").fill("not-a-key-of-this-service-at-all-0000")
    page.get_by_test_id("sign-in").click()
    status = page.locator("#sign-in-status")
    status.filter(has_text="Not signed in").wait_for()
    assert page.locator("#workspace").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    page.close()


def test_a_key_revoked_during_the_session_signs_the_studio_out_and_says_why(runtime, browser):
    # Given a second key of the organisation, signed in with in a tab
    headers = {"x-api-key": runtime.api_key}
    minted = httpx.post(f"{runtime.url}/keys", json={}, headers=headers).json()
    page = browser.new_page()
    page.goto(f"{runtime.url}/studio/")
    page.get_by_test_id("api-key-input").fill(minted["apiKey"])
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("voice-preview").first.wait_for()
    # And a reload keeps the tab signed in (sessionStorage lives as long as the tab)
    page.reload()
    page.get_by_test_id("voice-preview").first.wait_for()

    # When the key is revoked and the page calls the API again
    revoked = httpx.delete(f"{runtime.url}/keys/{minted['keyId']}", headers=headers)
    assert revoked.status_code in (200, 204)
    page.select_option("#voice-filters select[name=gender]", "male")

    # Then the workspace closes and the sign-in form says the key was refused
    page.locator("#sign-in-status").filter(has_text="Signed out").wait_for()
    assert page.locator("#workspace").is_hidden()
    assert page.evaluate("sessionStorage.getItem('audiofn.studio.apiKey')") is None
    page.close()


def test_a_producer_auditions_writes_renders_and_hears_the_master(runtime, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    watch = PageWatch(page)

    # Given a producer signed in with the organisation's key
    sign_in(page, runtime)
    assert page.evaluate("sessionStorage.getItem('audiofn.studio.apiKey')") == runtime.api_key
    assert page.evaluate("localStorage.length") == 0

    # When they filter the catalogue, the API's filter answers
    voices = httpx.get(
        f"{runtime.url}/voice", params={"gender": "female"}, headers={"x-api-key": runtime.api_key}
    ).json()["voices"]
    page.select_option("#voice-filters select[name=gender]", "female")
    page.locator("#voice-status").filter(has_text=f"{len(voices)} voices").wait_for()
    listed = page.locator("[data-testid=voice-list] tr").evaluate_all(
        "rows => rows.map(r => r.dataset.voice)"
    )
    assert listed == [voice["voiceName"] for voice in voices]
    page.select_option("#voice-filters select[name=gender]", "")
    page.locator("[data-testid=voice-list] tr[data-voice=joe]").wait_for()
    shot(page, "1-voices")

    # And play a voice's preview: the audio element's time advances
    page.locator("tr[data-voice=joe] [data-testid=voice-preview]").click()
    page.wait_for_function(
        "() => document.getElementById('voice-preview-audio').currentTime > 0.3", timeout=60_000
    )

    # When they write a script whose second section has an unclosed tag
    page.click("#tab-script")
    editor = page.get_by_test_id("script-editor")
    editor.fill(BROKEN)
    error = page.get_by_test_id("script-error")
    error.filter(has_text="never closed").wait_for()
    # Then the error is placed where the tag is in the editor
    tag_at = BROKEN.index("<emphasis>")
    line = BROKEN[:tag_at].count("\n") + 1
    column = tag_at - BROKEN[:tag_at].rfind("\n")
    assert error.get_attribute("data-line") == str(line)
    assert error.get_attribute("data-column") == str(column)
    assert page.locator("#script-highlight mark.bad").inner_text() == "<emphasis"
    shot(page, "2-script-error")
    expected_failures = len(watch.failed)
    assert expected_failures >= 1 and all("400 POST" in f for f in watch.failed)

    # When the script is fixed, its sections and placeholder are shown
    editor.fill(SCRIPT)
    page.locator("#script-status").filter(has_text="Valid: 2 sections").wait_for()
    assert error.is_hidden()
    assert page.locator("#script-sections li").count() == 2
    assert page.locator("#script-placeholders").inner_text().startswith("{{name}}")
    assert page.locator("#script-highlight mark.placeholder").inner_text() == "{{name|friend}}"
    page.click("#script-preview-button")
    page.locator("#script-preview").filter(has_text="Good morning").wait_for()
    shot(page, "3-script")

    # And render it for two listeners over a sound template
    page.click("#tab-render")
    page.click("#audience-add")
    page.click("#audience-add")
    cells = page.locator("#audience-table input")
    cells.nth(0).fill("Ada")
    cells.nth(1).fill("Grace")
    page.select_option("#render-voice", "joe")
    page.select_option("#render-template", "news")
    page.select_option("#render-preset", "podcast")
    page.fill("#section-table tr[data-section=news] input[name=section-speed]", "110")
    page.get_by_test_id("render-button").click()

    # Then progress follows the API's done/total and reaches done
    page.wait_for_function(
        "() => / of \\d/.test(document.getElementById('render-progress-label').textContent)",
        timeout=60_000,
    )
    shot(page, "4-render")
    page.wait_for_function(
        "() => document.getElementById('render-progress-label').textContent"
        ".startsWith('Mastering: done')",
        timeout=240_000,
    )
    bar = page.get_by_test_id("progress")
    assert bar.evaluate("b => b.value === b.max && b.max === 2")
    speech = watch.posted["speech"]
    assert speech["audience"] == [{"name": "Ada"}, {"name": "Grace"}]
    assert speech["sections"] == {"news": {"speed": 110}}
    assert watch.posted["mastering"]["soundTemplate"] == "news"

    # And the master plays with its waveform and captions naming the listener
    page.locator("#panel-results").wait_for()
    page.locator("#waveform[data-drawn=true]").wait_for(timeout=60_000)
    player = page.get_by_test_id("player")
    player.evaluate("a => a.play()")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=player]').currentTime > 2", timeout=60_000
    )
    page.get_by_test_id("captions").filter(has_text="Ada").wait_for(timeout=30_000)
    # the waveform has ink where the speech is: it was drawn from the decoded master
    inked = page.evaluate(
        """() => { const c = document.getElementById('waveform');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 170) n++;
        return n; }"""
    )
    assert inked > 2000
    shot(page, "5-results")

    # And the loudness figures are the API's report for that listener
    answer = httpx.get(
        f"{runtime.url}/mastering",
        params={"scriptId": _draft_id(page), "name": "Ada", "endFormat": "mp3"},
        headers={"x-api-key": runtime.api_key},
    ).json()
    report = page.get_by_test_id("loudness-report")
    integrated = report.locator("dd[data-figure='Integrated loudness'] strong").inner_text()
    assert integrated == f"{answer['report']['integrated_lufs']:.1f} LUFS"
    true_peak = report.locator("dd[data-figure='True peak'] strong").inner_text()
    assert true_peak == f"{answer['report']['true_peak_dbtp']:.1f} dBTP"
    assert abs(answer["report"]["integrated_lufs"] - -16.0) < 0.5

    # And the loudness over time is the report's series, drawn with its target line
    series = answer["report"]["short_term_loudness"]
    check_loudness_plot(page, series, target=-16.0)

    # And the download link fetches the master
    link = page.get_by_test_id("download-link").first.get_attribute("href")
    download = httpx.get(link)
    assert download.status_code == 200 and len(download.content) > 10_000

    # And the second listener has their own master and captions
    page.select_option("#result-listener", "1")
    page.locator("#waveform[data-drawn=true]").wait_for(timeout=60_000)
    player.evaluate("a => { a.currentTime = 0; return a.play(); }")
    page.get_by_test_id("captions").filter(has_text="Grace").wait_for(timeout=30_000)

    # And every master of the script is listed, and an earlier one opens in the player
    masters = page.locator("#master-list tr")
    masters.filter(has_text="name=Grace").first.wait_for()
    assert masters.count() >= 2
    masters.filter(has_text="name=Ada").first.get_by_role("button").click()
    page.wait_for_function("() => document.getElementById('result-listener').options.length === 1")
    page.locator("#waveform[data-drawn=true]").wait_for(timeout=60_000)

    # And the usage chart draws from the analytics
    page.click("#tab-usage")
    page.locator("#usage-total").filter(has_text="generations").wait_for()
    shot(page, "6-usage")

    # Nothing failed but the request the malformed tag asked for, nothing came from outside
    assert watch.failed[expected_failures:] == []
    assert watch.outside == []
    assert [e for e in watch.errors if "400 (Bad Request)" not in e] == []
    context.close()


def test_a_voice_sample_upload_shows_its_checks_with_named_reasons(runtime, browser, tmp_path):
    # Given a sample too short to be a voice: three seconds of a tone
    sample = tmp_path / "tone.wav"
    rate = 24_000
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(3 * rate) / rate) * 32767).astype("<i2")
    with wave.open(str(sample), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(tone.tobytes())
    page = browser.new_page()
    watch = PageWatch(page)
    sign_in(page, runtime)

    # When it is uploaded from the Samples panel, first without ticking the consent
    page.click("#tab-samples")
    page.fill("#sample-form input[name=name]", "Tone")
    page.get_by_test_id("sample-upload").set_input_files(str(sample))
    page.click("#sample-form button[type=submit]")
    page.locator("#sample-error").filter(has_text="consent").wait_for()
    # then with the attestation ticked and signed
    page.get_by_test_id("consent-check").check()
    page.get_by_test_id("consent-attested-by").fill("Sam Reed, producer")
    page.click("#sample-form button[type=submit]")

    # Then the profile fails, with the checks that failed named
    row = page.locator("#sample-result table.voice tbody tr")
    row.filter(has_text="FAILED").wait_for(timeout=120_000)
    assert "duration" in row.inner_text()
    # And the consent record is shown with the sample's digest
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    record = page.locator("#sample-result p.consent").inner_text()
    assert "attested by Sam Reed, producer (this upload)" in record and digest[:12] in record
    # And each check is listed with its result
    duration = page.locator("#sample-result table.checks tr[data-check=duration]")
    assert duration.get_attribute("data-passed") == "false"
    assert "3.0 s" in duration.inner_text()
    assert page.locator("#sample-result tr[data-check=clipping]").get_attribute("data-passed") == (
        "true"
    )
    shot(page, "7-samples")
    # And the voices panel lists it with its status
    page.click("#tab-voices")
    listed = page.locator("#custom-voice-list tr").filter(has_text="Tone").filter(has_text="FAILED")
    listed.wait_for()
    assert listed.locator("td.consent").inner_text().startswith("Sam Reed, producer · ")
    assert watch.failed == [] and watch.errors == []
    page.close()


def test_a_word_the_dictionary_lacks_gets_a_pronunciation_and_the_preview_says_it(runtime, browser):
    page = browser.new_page()
    watch = PageWatch(page)
    sign_in(page, runtime)

    # Given a script with a made-up word, previewed as spoken
    page.click("#tab-script")
    page.get_by_test_id("script-editor").fill("Welcome to Zorblax radio, {{name|friend}}.")
    page.locator("#script-status").filter(has_text="Valid: 1 section,").wait_for()
    page.click("#script-preview-button")
    unknown = page.locator("#script-preview button.unknown")
    unknown.filter(has_text="Zorblax").wait_for()

    # When the marked word is clicked and given a pronunciation
    unknown.click()
    assert page.input_value("#lexi-form input[name=word]") == "Zorblax"
    page.fill("#lexi-form input[name=replacement]", "zor blacks")
    page.click("#lexi-form button[type=submit]")

    # Then the dictionary lists it and the preview speaks the replacement
    page.locator("#lexi-list li").filter(has_text="Zorblax").wait_for()
    page.locator("#script-preview").filter(has_text="Welcome to zor blacks radio").wait_for()
    assert page.locator("#script-preview button.unknown").count() == 0

    # And an entry the API refuses is reported with its message, naming the field
    page.fill("#lexi-form input[name=word]", "ipa-word")
    page.fill("#lexi-form input[name=replacement]", "not IPA at all ☃")
    page.select_option("#lexi-form select[name=contentType]", "ipa")
    page.click("#lexi-form button[type=submit]")
    error = page.locator("#lexi-error")
    error.wait_for()
    assert "replacement" in error.inner_text() or "IPA" in error.inner_text()
    shot(page, "8-pronunciations")

    # And deleting the entry puts the word back as unknown
    page.select_option("#lexi-form select[name=contentType]", "basic")
    page.locator("#lexi-list li").filter(has_text="Zorblax").get_by_role("button").click()
    page.locator("#script-preview button.unknown").filter(has_text="Zorblax").wait_for()
    assert [f for f in watch.failed if "/diction/custom/item" not in f] == []
    page.close()


def test_a_public_master_with_vast_is_played_from_the_public_path_with_its_files(runtime, browser):
    page = browser.new_page()
    watch = PageWatch(page)
    sign_in(page, runtime)

    # Given a script without placeholders, moved to with the keyboard
    page.locator("#tab-voices").focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#panel-script").is_visible()
    page.get_by_test_id("script-editor").fill("This programme is published for everyone.")
    page.locator("#script-status").filter(has_text="Valid: 1 section,").wait_for()

    # When it is rendered voice-only, public, with VAST, as MP3 and WAV
    page.click("#tab-render")
    assert page.locator("#audience-add").is_disabled()
    page.select_option("#render-template", "")
    page.check("#render-form input[name=endFormat][value=wav]")
    page.check("#render-form input[name=public]")
    page.check("#render-form input[name=vast]")
    page.get_by_test_id("render-button").click()
    page.locator("#waveform[data-drawn=true]").wait_for(timeout=240_000)

    # Then the master plays from the runtime's public path, and each file is offered
    player_src = page.get_by_test_id("player").get_attribute("src") or ""
    assert player_src.startswith(f"{runtime.url}/public/")
    links = page.get_by_test_id("download-link")
    assert links.count() == 2
    assert httpx.get(links.nth(1).get_attribute("href")).content[:4] == b"RIFF"
    vast = page.locator("#result-files a").filter(has_text="vast")
    assert vast.count() == 1
    document = httpx.get(vast.get_attribute("href"))
    assert document.status_code == 200 and "<VAST" in document.text
    assert (
        page.get_by_test_id("loudness-report")
        .locator("dd[data-figure='Speech over bed']")
        .inner_text()
        == "no bed"
    )
    shot(page, "9-public")
    assert watch.failed == [] and watch.errors == [] and watch.outside == []
    page.close()


def test_a_batch_reports_progress_its_manifest_and_the_listener_it_could_not_make(runtime, browser):
    page = browser.new_page()
    watch = PageWatch(page)
    sign_in(page, runtime)

    # Given a placeholder without a default, and a listener who leaves it blank
    page.click("#tab-script")
    page.get_by_test_id("script-editor").fill("Good evening {{name}}. Here is the late news.")
    page.locator("#script-status").filter(has_text="Valid: 1 section,").wait_for()
    page.click("#tab-render")
    page.click("#audience-add")
    page.click("#audience-add")
    page.locator("#audience-table input").nth(0).fill("Ada")
    page.select_option("#render-template", "news")

    # When the audience is rendered as a batch
    page.click("#batch-button")

    # Then the batch ends with one master, a manifest, and the other listener's reason
    page.wait_for_function(
        "() => document.getElementById('render-progress-label').textContent"
        ".startsWith('Batch: done')",
        timeout=240_000,
    )
    assert page.locator("#render-progress-label").inner_text() == "Batch: done, 1 of 2 made"
    manifest = page.locator("#batch-result a").filter(has_text="JSON").get_attribute("href")
    rows = httpx.get(manifest).json()
    assert len(rows if isinstance(rows, list) else rows["listeners"]) == 2
    failure = page.locator("#batch-result li.error")
    assert "listener 2" in failure.inner_text() and "name" in failure.inner_text()
    shot(page, "10-batch")
    assert watch.failed == [] and watch.errors == []
    page.close()


def check_loudness_plot(page: Any, series: dict[str, Any], *, target: float) -> None:
    """The plot shows the API's series: one value per point, the series' and the target's ink
    on the canvas, and every value in its text alternative."""
    plot = page.locator("#loudness-plot[data-drawn=true]")
    plot.wait_for()
    assert plot.get_attribute("data-points") == str(len(series["lufs"])) != "0"
    ink = page.evaluate(
        """() => { const c = document.getElementById('loudness-plot');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let line = 0, goal = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i] < 80 && d[i + 1] < 120 && d[i + 2] > 170) line++;       // #2456c7
          if (d[i] > 170 && d[i + 1] < 90 && d[i + 2] < 80) goal++; }      // #c0392b
        return { line, goal }; }"""
    )
    assert ink["line"] > 200 and ink["goal"] > 100, ink
    summary = page.locator("#loudness-plot-summary").inner_text()
    assert f"target {target:.1f} LUFS" in summary
    heard = [v for v in series["lufs"] if v is not None]
    assert f"between {min(heard):.1f} LUFS and {max(heard):.1f} LUFS" in summary
    rows = page.locator("#loudness-values tbody tr")
    assert rows.count() == len(series["lufs"])
    first = series["lufs"][0]
    assert rows.first.locator("td").all_text_contents() == [
        f"{series['start']:.1f} s",
        "silence" if first is None else f"{first:.1f} LUFS",
    ]


def test_a_blend_is_heard_used_for_a_render_and_a_malformed_one_is_refused_at_its_field(
    runtime, browser, transcriber
):
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    watch = PageWatch(page)
    sign_in(page, runtime)

    # Given two Kokoro voices picked with weights in the blend box
    page.locator("#blend-box summary").click()
    voices = page.locator("#blend-parts select")
    voices.nth(1).wait_for()
    voices.nth(0).select_option("af_bella")
    voices.nth(1).select_option("af_sky")
    page.locator("#blend-parts input").nth(0).fill("2")
    blend = page.get_by_test_id("blend-input")
    assert blend.input_value() == "af_bella(2)+af_sky(1)"

    # When its preview is asked for, the API speaks it and it plays
    page.get_by_test_id("blend-preview").click()
    page.wait_for_function(
        "() => { const a = document.getElementById('voice-preview-audio');"
        " return a.dataset.voice === 'af_bella(2)+af_sky(1)' && a.currentTime > 0.3; }",
        timeout=90_000,
    )
    assert page.locator("#blend-status").inner_text() == "Playing af_bella(2)+af_sky(1)"
    said = "Hello! This is how this blend of voices sounds."
    assert watch.posted["speech"] == {
        "model": "tts-1",
        "input": said,
        "voice": "af_bella(2)+af_sky(1)",
        "response_format": "mp3",
    }
    # And what played is that sentence, spoken (the page's own audio, decoded and transcribed)
    played = page.evaluate(
        """async () => { const r = await fetch(document.getElementById('voice-preview-audio').src);
        return Array.from(new Uint8Array(await r.arrayBuffer())); }"""
    )
    heard = decode(bytes(played))
    assert 2.0 < heard.duration < 6.0
    assert word_error_rate(said, transcriber.transcribe(heard).text) < 0.2
    shot(page, "11-blend")

    # When a malformed blend is written, the API's 400 message is shown at the field
    blend.fill("af_bella(0)+af_sky")
    page.get_by_test_id("blend-preview").click()
    error = page.get_by_test_id("blend-error")
    error.filter(has_text="must be above 0").wait_for()
    assert error.inner_text().startswith("voice: invalid voice blend 'af_bella(0)+af_sky'")
    assert blend.get_attribute("aria-invalid") == "true"
    assert blend.evaluate("e => e === document.activeElement")
    shot(page, "12-blend-error")
    refused = list(watch.failed)
    assert len(refused) == 1 and "400 POST" in refused[0] and "/v1/audio/speech" in refused[0]

    # And changing a weight composes a blend again, clearing the error
    page.locator("#blend-parts input").nth(1).fill("1")
    assert blend.input_value() == "af_bella(2)+af_sky(1)" and error.is_hidden()

    # When it is used for rendering, the render panel speaks with it
    page.click("#blend-use")
    assert page.locator("#panel-script").is_visible()
    assert page.input_value("#render-voice") == "af_bella(2)+af_sky(1)"
    page.get_by_test_id("script-editor").fill("Two voices, blended, read this line.")
    page.locator("#script-status").filter(has_text="Valid: 1 section,").wait_for()
    page.click("#tab-render")
    page.select_option("#render-template", "")
    page.get_by_test_id("render-button").click()
    page.locator("#waveform[data-drawn=true]").wait_for(timeout=240_000)
    assert watch.posted["speech"]["voice"] == "af_bella(2)+af_sky(1)"

    # Then its master's loudness over time is drawn from the report
    answer = httpx.get(
        f"{runtime.url}/mastering",
        params={"scriptId": _draft_id(page), "endFormat": "mp3"},
        headers={"x-api-key": runtime.api_key},
    ).json()
    report = answer["report"]
    check_loudness_plot(page, report["short_term_loudness"], target=report["target_lufs"])
    # And a click on the plot seeks the player to that time
    box = page.locator("#loudness-plot").bounding_box()
    seconds = max(report["duration"], 3.0 + (len(report["short_term_loudness"]["lufs"]) - 1) * 0.5)
    left, right = 56, 14  # the plot's margins (results.js PLOT)
    x = left + (2.0 / seconds) * (box["width"] - left - right)
    page.mouse.click(box["x"] + x, box["y"] + box["height"] / 2)
    at = page.get_by_test_id("player").evaluate("a => a.currentTime")
    assert at == pytest.approx(2.0, abs=0.1)
    page.locator("#loudness-values-box summary").click()
    shot(page, "13-blend-master")
    assert watch.failed == refused and watch.outside == []
    assert [e for e in watch.errors if "400 (Bad Request)" not in e] == []
    page.close()


def _draft_id(page: Any) -> str:
    return str(page.evaluate("sessionStorage.getItem('audiofn.studio.scriptId')"))
