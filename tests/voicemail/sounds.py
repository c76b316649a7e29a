"""Real audio for the voicemail tests: made with sox, measured from the samples."""

from __future__ import annotations

import math
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path


def tone(path: Path, seconds: float, hz: int, *, rate: int = 8000, channels: int = 1) -> Path:
    """A sine tone at -6 dBFS, in the format ``path``'s extension names (.wav, .mp3…)."""
    subprocess.run(
        [
            *("sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", str(path)),
            *("synth", f"{seconds:g}", "sine", str(hz), "gain", "-6"),
        ],
        check=True,
        capture_output=True,
    )
    return path


def silence(path: Path, seconds: float, *, rate: int = 8000) -> Path:
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            str(path),
            "trim",
            "0",
            f"{seconds:g}",
        ],
        check=True,
        capture_output=True,
    )
    return path


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit samples and their rate."""

    samples: list[int]
    rate: int

    @classmethod
    def read(cls, path: Path) -> Clip:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise ValueError(f"{path}: expected mono 16-bit WAV")
            data = wav.readframes(wav.getnframes())
            rate = wav.getframerate()
        return cls(list(struct.unpack(f"<{len(data) // 2}h", data)), rate)

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def window(self, start: float, end: float) -> Clip:
        return Clip(self.samples[int(start * self.rate) : int(end * self.rate)], self.rate)

    def rms(self) -> float:
        if not self.samples:
            return 0.0
        return math.sqrt(sum(s * s for s in self.samples) / len(self.samples))

    def tone_share(self, hz: float) -> float:
        """How much of the energy is at ``hz`` (Goertzel, 0.0-1.0): 1 for a pure tone."""
        n = len(self.samples)
        if n == 0:
            return 0.0
        coeff = 2 * math.cos(2 * math.pi * hz / self.rate)
        s1 = s2 = 0.0
        for sample in self.samples:
            s1, s2 = sample + coeff * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        total = sum(s * s for s in self.samples)
        return 0.0 if total == 0 else min(1.0, 2 * power / (n * total))
