"""The seed's quickstart, unchanged, through the real apiaudio SDKs (0.17.1 here, 0.8.5 in its
own environment), then the words checked by transcribing the downloaded files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from audiofn.codecs import decode
from audiofn.stt.wer import word_error_rate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SDK085_PYTHON = ROOT / ".venv-apiaudio085" / "bin" / "python"

SCRIPT = (
    "<<sectionName::hello>> Hello {{username|buddy}}, welcome to the show. "
    "<<sectionName::bye>> Goodbye from {{location|barcelona}}."
)


def test_quickstart_with_sdk_0_17_1(runtime, transcriber, tmp_path):
    import apiaudio

    assert apiaudio.sdk_version == "0.17.1"
    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key

    # The seed's quickstart, up to and including speech
    script = apiaudio.Script.create(scriptText="Hello world", scriptName="hello")
    response = apiaudio.Speech.create(scriptId=script["scriptId"], voice="Joanna")
    assert response["status"] == "done"  # create waited for the work (no 202 to poll on)
    files = apiaudio.Speech.download(scriptId=script["scriptId"], destination=str(tmp_path))

    assert len(files) == 1
    audio = decode(Path(files[0]).read_bytes())
    assert 0.5 < audio.duration < 5
    assert word_error_rate("hello world", transcriber.transcribe(audio).text) == 0

    # ... and on through mastering, as the seed's quickstart goes on
    apiaudio.Mastering.create(scriptId=script["scriptId"], soundTemplate="upbeat")
    urls = apiaudio.Mastering.retrieve(scriptId=script["scriptId"])
    assert urls["url"].startswith("http") and abs(urls["report"]["integrated_lufs"] + 16) <= 0.5
    master = apiaudio.Mastering.download(scriptId=script["scriptId"], destination=str(tmp_path))
    mastered = decode(Path(master).read_bytes())
    assert mastered.channels == 2 and mastered.duration > audio.duration + 2
    # Over the bed a two-word programme is heard less surely: its first word must come through.
    assert "hello" in transcriber.transcribe(mastered).text.lower()
    assert {p["name"] for p in apiaudio.Mastering.list_presets()} >= {"podcast"}


def test_sections_audience_and_org_with_sdk_0_17_1(runtime, transcriber, tmp_path):
    import apiaudio

    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key

    org = apiaudio.Organization.get_org_data()
    assert org["orgName"] == "default"

    script = apiaudio.Script.create(
        scriptText=SCRIPT, projectName="e2e", moduleName="sdk", scriptName="sections"
    )
    assert script["placeholders"] == ["username", "location"]
    apiaudio.Speech.create(
        scriptId=script["scriptId"],
        voice="joe",
        audience=[{"username": "Maria", "location": "London"}],
        sections={"bye": {"speed": 120, "silence_padding": 300}},
    )
    urls = apiaudio.Speech.retrieve(
        scriptId=script["scriptId"], section="hello", parameters={"username": "Maria"}
    )
    assert list(urls) == ["hello|location=London|username=Maria"]

    files = apiaudio.Speech.download(scriptId=script["scriptId"], destination=str(tmp_path))
    texts = {
        Path(f).name.split("__")[0]: transcriber.transcribe(decode(Path(f).read_bytes())).text
        for f in files
    }
    assert word_error_rate("hello maria welcome to the show", texts["hello"]) < 0.34
    assert word_error_rate("goodbye from london", texts["bye"]) < 0.34  # one word in three

    assert "e2e" in apiaudio.Script.Directory.list_projects()
    listed = apiaudio.Script.list(projectName="e2e")
    assert [s["scriptId"] for s in listed] == [script["scriptId"]]
    voices = apiaudio.Voice.list(language="turkish", gender="female")
    assert voices["voices"] and all(v["gender"] == "female" for v in voices["voices"])
    assert "language" in apiaudio.Voice.list_parameters()


def test_sdk_errors_carry_the_api_message(runtime):
    import apiaudio
    from requests.exceptions import HTTPError

    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key
    script = apiaudio.Script.create(scriptText="Hello there")

    with pytest.raises(HTTPError) as error:
        apiaudio.Speech.create(scriptId=script["scriptId"], voice="NoSuchVoice")

    assert "voice" in str(error.value)


SDK_085_PROGRAM = """
import json, sys, apiaudio
apiaudio.api_base, apiaudio.api_key, dest = sys.argv[1], sys.argv[2], sys.argv[3]
script = apiaudio.Script.create(scriptText="Hello world", scriptName="hello")
response = apiaudio.Speech.create(scriptId=script["scriptId"], voice="Joanna")
urls = apiaudio.Speech.retrieve(scriptId=script["scriptId"])
files = apiaudio.Speech.download(scriptId=script["scriptId"], destination=dest)
voices = apiaudio.Voice.list(language="english")
text = apiaudio.Script.get_random_text(category="Joke")
mastering = apiaudio.Mastering.create(scriptId=script["scriptId"], soundTemplate="calm")
mastered = apiaudio.Mastering.retrieve(scriptId=script["scriptId"])
master_file = apiaudio.Mastering.download(scriptId=script["scriptId"], destination=dest)
templates = apiaudio.Sound.list_sound_templates()
print(json.dumps({"create": response, "urls": urls, "files": files,
                  "voices": len(voices["voices"]), "random": text, "mastering": mastering,
                  "mastered": mastered, "master_file": master_file,
                  "templates": len(templates["templates"])}))
"""


def test_quickstart_with_sdk_0_8_5(runtime, transcriber, tmp_path):
    if not SDK085_PYTHON.exists():
        pytest.fail("the 0.8.5 SDK environment is missing: run `make test`, which creates it")
    result = subprocess.run(
        [str(SDK085_PYTHON), "-c", SDK_085_PROGRAM, runtime.url, runtime.api_key, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)

    assert out["create"]["status"] == "done"  # 0.8.5 does not poll: create waited for the work
    assert list(out["urls"]) == ["default"]
    assert out["voices"] > 0 and out["random"]["text"]
    audio = decode(Path(out["files"][0]).read_bytes())
    assert word_error_rate("hello world", transcriber.transcribe(audio).text) == 0
    assert out["mastering"]["status"] == "done" and out["templates"] >= 6
    assert out["mastered"]["url"].startswith("http")
    mastered = decode(Path(out["master_file"]).read_bytes())
    assert mastered.channels == 2 and mastered.duration > audio.duration


@pytest.fixture(scope="module")
def impatient_runtime(tmp_path_factory):
    """A runtime whose speech create never waits: every create answers 202 first."""
    from audiofn_local.subprocess_runtime import start_runtime

    data_dir = tmp_path_factory.mktemp("impatient")
    with start_runtime(data_dir, cwd=ROOT, AUDIOFN_PARAM_SpeechWaitSeconds="0") as started:
        yield started


def test_sdk_0_17_1_polls_a_202_until_the_speech_is_ready(impatient_runtime, transcriber):
    import apiaudio
    import httpx

    apiaudio.api_base = impatient_runtime.url
    apiaudio.api_key = impatient_runtime.api_key
    script = apiaudio.Script.create(scriptText="The client asks again until the speech is ready.")

    # create answers 202, the SDK repeats it as GET /speech?<create body> until it is done
    urls = apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe", speed="110")

    assert list(urls) == ["default"]
    audio = decode(httpx.get(urls["default"], timeout=60).content)
    text = transcriber.transcribe(audio).text
    assert word_error_rate("the client asks again until the speech is ready", text) < 0.25
    log = impatient_runtime.log_path.read_text()
    assert "POST /speech" in log and "-> 202" in log


def test_lexi_and_preview_with_sdk_0_17_1(runtime, transcriber, tmp_path):
    import apiaudio

    apiaudio.api_base = runtime.url
    apiaudio.api_key = runtime.api_key

    apiaudio.Lexi.register_custom_word("Quorbit", "pizza", "en")
    words = apiaudio.Lexi.list_custom_words(lang="en")
    assert [w["word"] for w in words] == ["Quorbit"]
    assert apiaudio.Lexi.list_custom_dicts() == [
        {"lang": "en", "specialization": "default", "words": 1}
    ]
    assert apiaudio.Lexi.list()

    script = apiaudio.Script.create(scriptText="Dr. Jones ordered one Quorbit for $4.50.")
    preview = apiaudio.Script.preview(scriptId=script["scriptId"], voice="joe")
    assert preview["preview"].lower() == (
        "doctor jones ordered one pizza for four dollars and fifty cents."
    )

    apiaudio.Speech.create(scriptId=script["scriptId"], voice="joe")
    (path,) = apiaudio.Speech.download(scriptId=script["scriptId"], destination=str(tmp_path))
    assert "pizza" in transcriber.transcribe(decode(Path(path).read_bytes())).text.lower()

    apiaudio.Lexi.delete_custom_word(word="Quorbit", lang="en", specialization="default")
    assert apiaudio.Lexi.list_custom_words(lang="en") == []
