"""An organisation's limits: what the admin sets (None keeps the default) and what is in force."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_REQUESTS_PER_SECOND = 20.0
"""API requests an organisation may make a second, on average over a 10 s window."""
DEFAULT_MAX_RUNNING_JOBS = 5
"""Speech and mastering jobs an organisation may have running at once."""
DEFAULT_DAILY_CHARACTERS = 1_000_000
"""Characters an organisation may have synthesised a day (UTC), about 18 hours of speech."""


class OrgLimits(BaseModel):
    """Per-organisation settings; a field left out (or null) follows the default."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    requests_per_second: float | None = Field(None, alias="requestsPerSecond", gt=0, le=10_000)
    max_running_jobs: int | None = Field(None, alias="maxRunningJobs", ge=1, le=10_000)
    daily_characters: int | None = Field(None, alias="dailyCharacters", ge=1, le=10**12)

    @property
    def rate(self) -> float:
        return self.requests_per_second or DEFAULT_REQUESTS_PER_SECOND

    @property
    def running_jobs(self) -> int:
        return self.max_running_jobs or DEFAULT_MAX_RUNNING_JOBS

    @property
    def characters(self) -> int:
        return self.daily_characters or DEFAULT_DAILY_CHARACTERS
