"""The ten G20 Rome principles, their checklist questions and the rating scale, as data."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from c2c_monitor.definitions.catalog import PRINCIPLE_IDS, Dac, _pydantic_findings
from c2c_monitor.definitions.languages import LANGUAGES
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.text import Text
from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml
from c2c_monitor.errors import DefinitionError, Finding


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^P(0[1-9]|10)\.\d+$")
    text: Text
    help: Text
    dac: list[Dac] = Field(min_length=1)
    # Earlier wordings of `text`, by language: a Kobo or ODK form made before a wording was corrected still
    # exports the old one as a column header, and an import finds the question by it (workshop/xlsform).
    former: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("former")
    @classmethod
    def _languages(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"former wordings in unknown language(s) {', '.join(unknown)}; one of "
                             f"{', '.join(LANGUAGES)}")
        if any(not t.strip() for texts in v.values() for t in texts):
            raise ValueError("a former wording is empty")
        return v

    def wordings(self) -> list[str]:
        """Every wording an export may carry for this question: the text in each language, then earlier ones."""
        return [*self.text.variants(), *(t for texts in self.former.values() for t in texts)]


class Principle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    order: int
    title: Text
    summary: Text
    questions: list[Question] = Field(min_length=4, max_length=7)
    # As for indicators: the step of the City Partnerships process (1-8) before which it is not scored.
    expected_from_step: int | None = Field(default=None, ge=1, le=8)

    @field_validator("id")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in PRINCIPLE_IDS:
            raise ValueError(f"principle id must be one of {', '.join(PRINCIPLE_IDS)}")
        return v


class ScalePoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: int = Field(ge=1, le=5)
    label: Text


class SpecialAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    label: Text


_VALUE_AND_LABEL = re.compile(r"^(\d+)\s*[-–—:.)]\s*(.+)$")


def label_key(text: str) -> str:
    """A label as compared when read back: NFC, case-folded, one space, straight apostrophes."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.split()).casefold()


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    numeric: list[ScalePoint] = Field(min_length=2)
    special: list[SpecialAnswer] = []

    @model_validator(mode="after")
    def _answers_read_back_unambiguously(self) -> Scale:
        # A label shared by two answers (in any two languages) could not be read back from a sheet.
        seen: dict[str, str] = {}
        answers = [(str(p.value), [str(p.value), *p.label.variants()]) for p in self.numeric]
        answers += [(sp.code, [sp.code, *sp.label.variants()]) for sp in self.special]
        for answer, texts in answers:
            for text in texts:
                key = label_key(text)
                if seen.setdefault(key, answer) != answer:
                    raise ValueError(f"{text!r} would mean both {seen[key]!r} and {answer!r}")
        return self

    @property
    def values(self) -> list[int]:
        return [p.value for p in self.numeric]

    @property
    def special_codes(self) -> list[str]:
        return [s.code for s in self.special]

    @property
    def low(self) -> int:
        return min(self.values)

    @cached_property
    def _answers(self) -> dict[str, int | str]:
        out: dict[str, int | str] = {}
        for p in self.numeric:
            out[str(p.value)] = p.value
            for text in p.label.variants():
                out[label_key(text)] = p.value
        for sp in self.special:
            out[label_key(sp.code)] = sp.code
            for text in sp.label.variants():
                out[label_key(text)] = sp.code
        return out

    def parse_label(self, text: str) -> int | str | None:
        """What a participant's answer means, in any product language: a scale value, a special code, or None.

        Accepts the value ("3"), the code ("na"), the label in en/fr/es/pt ("Sans objet", "Não se aplica"),
        and the phone form's "3 – label" choices; case, accents' composition, spacing and typographic
        apostrophes do not matter. A number with a label of another value is refused (None), not guessed.
        """
        key = label_key(text)
        if key in self._answers:
            return self._answers[key]
        m = _VALUE_AND_LABEL.match(key)
        if m and m.group(1) in self._answers and self._answers.get(m.group(2)) == self._answers[m.group(1)]:
            return self._answers[m.group(1)]
        return None

    @property
    def high(self) -> int:
        return max(self.values)


class Framework(BaseModel):
    model_config = ConfigDict(frozen=True)
    principles: list[Principle]
    scale: Scale
    version: str

    def principle(self, pid: str) -> Principle:
        return next(p for p in self.principles if p.id == pid)

    @property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for p in self.principles for q in p.questions}

    def principle_of(self, question_id: str) -> str:
        return question_id.split(".")[0]


def _shared_wordings(principles: list[Principle], folder: Path) -> list[Finding]:
    """A wording (current or former, any language) that two questions share: an export column headed by it could
    be either, so an import could not tell which question its ratings answer."""
    owner: dict[str, str] = {}
    findings = []
    for q in (q for p in principles for q in p.questions):
        for text in q.wordings():
            key = label_key(text)
            if owner.setdefault(key, q.id) != q.id:
                findings.append(Finding("shared-wording", str(folder / f"{q.id.split('.')[0]}.yaml"),
                                        f"question {q.id} has the wording of question {owner[key]}: {text!r}"))
    return findings


def load_framework(folder: Path | None = None) -> Framework:
    folder = folder or definitions_dir("g20_principles")
    findings: list[Finding] = []
    principles: list[Principle] = []
    scale: Scale | None = None
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        try:
            data, lines = load_yaml(path)
        except YamlSyntaxError as exc:
            findings.append(exc.finding)
            continue
        model = Scale if path.stem == "scale" else Principle
        try:
            obj = model.model_validate(data)
        except ValidationError as exc:
            findings += _pydantic_findings(exc, path, lines)
            continue
        if isinstance(obj, Scale):
            scale = obj
        else:
            bad = [q.id for q in obj.questions if not q.id.startswith(obj.id + ".")]
            if bad:
                findings.append(Finding("question-id", str(path),
                                        f"question ids {bad} do not start with {obj.id}."))
            principles.append(obj)
    ids = sorted(p.id for p in principles)
    if not findings and ids != list(PRINCIPLE_IDS):
        missing = sorted(set(PRINCIPLE_IDS) - set(ids))
        findings.append(Finding("principles", str(folder), f"expected P01-P10, missing {missing}"))
    if scale is None and not findings:
        findings.append(Finding("scale", str(folder), "no scale.yaml"))
    findings += _shared_wordings(principles, folder)
    if findings:
        raise DefinitionError(findings)
    assert scale is not None
    principles.sort(key=lambda p: p.order)
    return Framework(principles=principles, scale=scale, version=digest.hexdigest()[:12])
