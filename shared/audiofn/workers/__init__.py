"""One module per function of `template.yaml`: the core its `functions/<name>/app.py` calls.

| function (template)       | module                  |
|---------------------------|-------------------------|
| SpeechFunction            | :mod:`.speech`          |
| MasteringFunction         | :mod:`.mastering`       |
| BatchFunction             | :mod:`.batch`           |
| InboxFunction             | :mod:`.inbox`           |
| VoiceSampleFunction       | :mod:`.voice_sample`    |
| MediaCheckFunction        | :mod:`.media_check`     |
| TtsJobFunction            | :mod:`.tts_job`         |
| WebhookFunction           | :mod:`.webhook`         |
| SpeechStreamFunction      | :mod:`.speech_stream`   |
| RealtimeFunction          | :mod:`.realtime`        |

The HTTP API functions (ApiFunction, SyncSpeechFunction, TranscriptionsFunction) call into
:mod:`audiofn.api`. Queue plumbing shared by the SQS workers lives in :mod:`.sqs` and
:mod:`.s3_events`.
"""
