"""The live server's pages: one pydantic model per template, rendered by one autoescaping Jinja setup.

The models live here rather than in `render/` because the server is part of the workshop stage, which may
not import later stages; they follow the same rule (a template reads only its model's fields).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import ClassVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict

from c2c_monitor.definitions.languages import NATIVE_NAMES

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = NATIVE_NAMES  # code -> the language's name in itself

# The few words of the participant pages, in the product's four languages.
WORDS: dict[str, dict[str, str]] = {
    "en": {"join": "Join the workshop", "code": "Join code (on the projector)", "language": "Language",
           "group": "Your stakeholder group", "city": "Your city", "none": "(prefer not to say)",
           "next": "Save and continue", "back": "Save and go back", "finish": "Save and finish",
           "comment": "Comment (optional)", "principle": "Principle", "of": "of", "clear": "no answer",
           "done": "Thank you: your answers are saved", "change": "You can change them until the round is closed.",
           "answered": "answered", "edit": "Change", "closed": "The round is closed. Thank you!",
           "waiting": "The round has not started yet: wait for the facilitator, then reload this page.",
           "saved": "Saved."},
    "fr": {"join": "Rejoindre l'atelier", "code": "Code (affiché au projecteur)", "language": "Langue",
           "group": "Votre groupe de parties prenantes", "city": "Votre ville", "none": "(ne pas préciser)",
           "next": "Enregistrer et continuer", "back": "Enregistrer et revenir", "finish": "Enregistrer et terminer",
           "comment": "Commentaire (facultatif)", "principle": "Principe", "of": "sur", "clear": "pas de réponse",
           "done": "Merci : vos réponses sont enregistrées",
           "change": "Vous pouvez les modifier jusqu'à la clôture.", "answered": "répondues", "edit": "Modifier",
           "closed": "La séance est close. Merci !",
           "waiting": "La séance n'a pas commencé : attendez l'animateur puis rechargez la page.",
           "saved": "Enregistré."},
    "es": {"join": "Unirse al taller", "code": "Código (en el proyector)", "language": "Idioma",
           "group": "Su grupo de actores", "city": "Su ciudad", "none": "(prefiero no decirlo)",
           "next": "Guardar y continuar", "back": "Guardar y volver", "finish": "Guardar y terminar",
           "comment": "Comentario (opcional)", "principle": "Principio", "of": "de", "clear": "sin respuesta",
           "done": "Gracias: sus respuestas están guardadas",
           "change": "Puede cambiarlas hasta el cierre de la ronda.", "answered": "respondidas",
           "edit": "Cambiar", "closed": "La ronda está cerrada. ¡Gracias!",
           "waiting": "La ronda no ha empezado: espere al facilitador y vuelva a cargar la página.",
           "saved": "Guardado."},
    "pt": {"join": "Entrar na oficina", "code": "Código (no projetor)", "language": "Idioma",
           "group": "O seu grupo de atores", "city": "A sua cidade", "none": "(prefiro não dizer)",
           "next": "Guardar e continuar", "back": "Guardar e voltar", "finish": "Guardar e terminar",
           "comment": "Comentário (opcional)", "principle": "Princípio", "of": "de", "clear": "sem resposta",
           "done": "Obrigado: as suas respostas estão guardadas",
           "change": "Pode alterá-las até ao fecho da ronda.", "answered": "respondidas",
           "edit": "Alterar", "closed": "A ronda está encerrada. Obrigado!",
           "waiting": "A ronda ainda não começou: aguarde pelo facilitador e volte a carregar a página.",
           "saved": "Guardado."},
}


# The projector's and the facilitator's words, in the room's first language (`--lang`); `{k}` is the threshold.
ROOM_WORDS: dict[str, dict[str, str]] = {
    "en": {"joined": "joined", "finished": "finished", "score_15": "score (1–5)", "fewer": "fewer than {k} answers",
           "disagreement": "Questions with disagreement",
           "none_shown": "None (questions with fewer than {k} ratings are not shown).", "middle_half": "middle half",
           "phase_waiting": "waiting", "phase_open": "open", "phase_closed": "closed",
           "facilitator": "Facilitator", "round": "Round", "results_shown": "results shown on the projector",
           "join_at": "Join", "code_word": "code", "projector": "projector", "open_round": "Open the round",
           "hide": "Hide results", "reveal": "Reveal results", "close_round": "Close the round and store it",
           "reopen": "Reopen the round",
           "reopen_help": "Reopening lets participants change their answers again; closing again stores a new "
                          "version of the round.",
           "submissions": "Submissions", "col_code": "code", "col_group": "group", "col_answered": "answered",
           "remove": "Remove"},
    "fr": {"joined": "connectés", "finished": "terminé", "score_15": "note (1–5)", "fewer": "moins de {k} réponses",
           "disagreement": "Questions où les avis divergent",
           "none_shown": "Aucune (les questions notées par moins de {k} personnes ne sont pas affichées).",
           "middle_half": "moitié centrale",
           "phase_waiting": "en attente", "phase_open": "ouverte", "phase_closed": "close",
           "facilitator": "Animation", "round": "Séance", "results_shown": "résultats affichés au projecteur",
           "join_at": "Rejoindre", "code_word": "code", "projector": "projecteur", "open_round": "Ouvrir la séance",
           "hide": "Masquer les résultats", "reveal": "Afficher les résultats",
           "close_round": "Clore la séance et l'enregistrer", "reopen": "Rouvrir la séance",
           "reopen_help": "Rouvrir permet aux participants de modifier à nouveau leurs réponses ; une nouvelle "
                          "clôture enregistre une nouvelle version de la séance.",
           "submissions": "Réponses reçues", "col_code": "code", "col_group": "groupe", "col_answered": "répondues",
           "remove": "Retirer"},
    "es": {"joined": "conectados", "finished": "terminado", "score_15": "puntuación (1–5)",
           "fewer": "menos de {k} respuestas", "disagreement": "Preguntas con desacuerdo",
           "none_shown": "Ninguna (no se muestran las preguntas con menos de {k} valoraciones).",
           "middle_half": "mitad central",
           "phase_waiting": "en espera", "phase_open": "abierta", "phase_closed": "cerrada",
           "facilitator": "Facilitación", "round": "Ronda", "results_shown": "resultados mostrados en el proyector",
           "join_at": "Unirse", "code_word": "código", "projector": "proyector", "open_round": "Abrir la ronda",
           "hide": "Ocultar resultados", "reveal": "Mostrar resultados",
           "close_round": "Cerrar la ronda y guardarla", "reopen": "Reabrir la ronda",
           "reopen_help": "Al reabrir, los participantes pueden volver a cambiar sus respuestas; al cerrar de nuevo "
                          "se guarda una nueva versión de la ronda.",
           "submissions": "Respuestas recibidas", "col_code": "código", "col_group": "grupo",
           "col_answered": "respondidas", "remove": "Retirar"},
    "pt": {"joined": "ligados", "finished": "concluído", "score_15": "pontuação (1–5)",
           "fewer": "menos de {k} respostas", "disagreement": "Perguntas com desacordo",
           "none_shown": "Nenhuma (as perguntas com menos de {k} avaliações não são mostradas).",
           "middle_half": "metade central",
           "phase_waiting": "em espera", "phase_open": "aberta", "phase_closed": "encerrada",
           "facilitator": "Facilitação", "round": "Ronda", "results_shown": "resultados mostrados no projetor",
           "join_at": "Entrar", "code_word": "código", "projector": "projetor", "open_round": "Abrir a ronda",
           "hide": "Ocultar resultados", "reveal": "Mostrar resultados",
           "close_round": "Encerrar a ronda e guardá-la", "reopen": "Reabrir a ronda",
           "reopen_help": "Reabrir permite aos participantes alterar de novo as suas respostas; encerrar de novo "
                          "guarda uma nova versão da ronda.",
           "submissions": "Respostas recebidas", "col_code": "código", "col_group": "grupo",
           "col_answered": "respondidas", "remove": "Retirar"},
}
for _lang, _words in ROOM_WORDS.items():
    WORDS[_lang] = WORDS[_lang] | _words


class LivePage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    template: ClassVar[str] = ""
    title: str
    lang: str = "en"
    words: dict[str, str]
    refresh: int | None = None  # seconds; a <meta> refresh, since the pages carry no script


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True)
    value: str
    label: str


class JoinPage(LivePage):
    template: ClassVar[str] = "join.html.j2"
    code: str
    languages: list[Choice]
    groups: list[Choice]
    cities: list[Choice]
    group: str | None = None
    city: str | None = None
    csrf: str
    error: str | None = None
    joined: bool = False


class QuestionView(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    text: str
    help: str
    answer: str | None
    comment: str


class PrinciplePage(LivePage):
    template: ClassVar[str] = "principle.html.j2"
    index: int
    total: int
    principle_id: str
    principle_title: str
    summary: str
    questions: list[QuestionView]
    scale: list[Choice]
    csrf: str
    saved: bool = False


class Progress(BaseModel):
    model_config = ConfigDict(frozen=True)
    index: int
    title: str
    answered: int
    total: int


class DonePage(LivePage):
    template: ClassVar[str] = "done.html.j2"
    progress: list[Progress]
    code: str


class MessagePage(LivePage):
    template: ClassVar[str] = "message.html.j2"
    message: str
    link: str | None = None


class Count(BaseModel):
    model_config = ConfigDict(frozen=True)
    principle_id: str
    title: str
    finished: int
    score: str | None = None  # after reveal, when at least k answered
    bar: int = 0  # width of the score bar, percent


class Disagreement(BaseModel):
    model_config = ConfigDict(frozen=True)
    question_id: str
    text: str
    spread: str


class ProjectorPage(LivePage):
    template: ClassVar[str] = "projector.html.j2"
    partnership: str
    round_id: str
    phase: str
    join_url: str
    join_code: str
    qr_svg: str  # made by segno from the join URL; never from participant input
    joined: int
    counts: list[Count]
    revealed: bool
    k: int
    disagreements: list[Disagreement]


class Participant(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    answered: int
    group: str | None


class FacilitatorPage(LivePage):
    template: ClassVar[str] = "facilitator.html.j2"
    base: str
    partnership: str
    round_id: str
    phase: str
    revealed: bool
    join_url: str
    join_code: str
    participants: list[Participant]
    total_questions: int
    csrf: str
    message: str | None = None


@functools.cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined,
                       auto_reload=False)  # templates ship with the package: no stat() per request


def render(page: LivePage) -> str:
    return environment().get_template(page.template).render(
        {name: getattr(page, name) for name in type(page).model_fields})
