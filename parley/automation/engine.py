"""Automation's turn: a customer message answered by a procedure, the knowledge base or a person.

Order (the Kindflow seed's): escalate at once when the customer asks for a person, keeps failing,
or is very unhappy; otherwise the procedure in progress takes the message (unless the customer
clearly changed subject: a digression starts the better-matching procedure); otherwise the
best-matching procedure above the matcher's threshold starts; otherwise a confident knowledge-base
answer, with its source; otherwise a person. Every turn leaves one ``automation_turn`` activity
row with the candidates and scores, the knowledge-base hits, and the decision with its reason.

Runs as the ``automation.turn`` job (see triggers.py). The first thing it checks is who owns the
interaction: once a person does, automation says nothing, ever.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley import clock
from parley.actions.activity import record_activity
from parley.actors import Actor
from parley.automation import escalation
from parley.automation.apply import Applier
from parley.automation.context import TurnContext, load_context
from parley.automation.escalation import Escalation, Reason
from parley.automation.library import Library, library_for
from parley.automation.llm import ProcedureOption
from parley.automation.matching import Candidate
from parley.automation.procedures.entry import entry_allows
from parley.automation.procedures.interpreter import (
    Extractor,
    Handoff,
    Resolve,
    advance,
    new_state,
)
from parley.automation.triggers import TURN
from parley.config import Settings
from parley.jobs.runner import Handler
from parley.models import AutomationSession, Interaction, Job, Message
from parley.models.enums import HandledBy, State

# A digression must be clearer than a fresh match: the customer is mid-way through something.
DIGRESSION_MARGIN = 0.15
# With an LLM configured, candidates within this share of the threshold are offered to it when
# none clears the threshold: a near miss may be a paraphrase the examples did not foresee.
LLM_RANK_FLOOR = 0.6
KB_SOURCES = 3


class TurnHandler:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, session: AsyncSession, job: Job) -> None:
        interaction = await session.get(
            Interaction, uuid.UUID(job.payload["interaction_id"]), with_for_update=True
        )
        message = await session.get(Message, uuid.UUID(job.payload["message_id"]))
        if (
            interaction is None
            or message is None
            or interaction.organization_id != job.organization_id
        ):
            return
        if interaction.state != State.automated:
            return  # a person owns it (or it is closed): automation stays silent
        ctx = await load_context(session, self.settings, interaction)
        await Turn(session, ctx, interaction, message).run()


class Turn:
    def __init__(
        self, session: AsyncSession, ctx: TurnContext, interaction: Interaction, message: Message
    ) -> None:
        self.session, self.ctx, self.interaction, self.message = session, ctx, interaction, message
        self.text = message.text
        self.trace: dict[str, Any] = {"message_id": str(message.id)}
        # Each procedure's confidence for this message (a digression must beat the current one).
        self.confidence: dict[str, float] = {}
        self.apply = Applier(session, ctx, interaction)

    async def run(self) -> None:
        auto = await self._memory()
        self.trace["ai_agent"] = self.ctx.agent_name
        if auto.turns == 0 and self.ctx.greeting:
            await self.apply.say([self.ctx.greeting])
        auto.turns += 1
        sentiment = self.ctx.sentiment(self.text)
        self.trace["sentiment"] = sentiment
        # Mid-procedure, a customer describing what went wrong sounds negative by nature: anger
        # alone escalates only between procedures (asking for a person always does).
        mood = None if auto.procedure_name else sentiment
        early = escalation.check(self.text, failures=auto.failures, sentiment_score=mood)
        if early is not None:
            return await self._hand_over(auto, early)
        library = await library_for(
            self.session, self.interaction.organization_id, self.ctx.allowed_procedures
        )
        # The LLM's second opinion is for choosing a procedure to start; a digression away from
        # the one in progress needs the matcher's clear preference.
        best = await self._best_procedure(library, ask_llm=auto.procedure_name is None)
        if auto.procedure_name and auto.procedure_name in library.procedures:
            current = self.confidence.get(auto.procedure_name, 0.0)
            if (
                best is not None
                and best[0] != auto.procedure_name
                and best[1] >= current + DIGRESSION_MARGIN
            ):
                self.trace["digression"] = {"from": auto.procedure_name, "to": best[0]}
                self._start(auto, library, best[0])
            return await self._procedure(auto, library)
        if best is not None:
            self._start(auto, library, best[0])
            return await self._procedure(auto, library)
        if await self._knowledge(auto):
            return None
        return await self._hand_over(
            auto, Escalation(Reason.no_answer, "no procedure or knowledge-base answer fits")
        )

    async def _memory(self) -> AutomationSession:
        found = (
            await self.session.execute(
                select(AutomationSession).where(
                    AutomationSession.organization_id == self.interaction.organization_id,
                    AutomationSession.interaction_id == self.interaction.id,
                )
            )
        ).scalar_one_or_none()
        if found is None:
            found = AutomationSession(
                organization_id=self.interaction.organization_id,
                interaction_id=self.interaction.id,
                ai_agent_id=self.ctx.agent_id,
                state={},
                failures=0,
                turns=0,
                created_at=clock.now(),
            )
            self.session.add(found)
            self.interaction.ai_agent_id = self.ctx.agent_id
        return found

    async def _best_procedure(self, library: Library, *, ask_llm: bool) -> tuple[str, float] | None:
        # Off the event loop: a close call runs the MiniLM transformer (3-8 ms of CPU), and in
        # the embedded setup the same loop serves every request.
        match = await asyncio.to_thread(library.match, self.text)
        candidates = list(match.candidates) if match is not None else []
        self.trace["candidates"] = [
            {"procedure": c.label, "confidence": round(c.confidence, 4)} for c in candidates
        ]
        self.confidence = {c.label: c.confidence for c in candidates}
        self.trace["threshold"] = match.threshold if match is not None else None
        # Which encoder's scores these are: the cascade's fast stage or its contextual one.
        self.trace["matched_by"] = match.decided_by if match is not None else None
        chosen = match.best if match is not None else None
        if chosen is None and match is not None and ask_llm and self.ctx.rank_procedure:
            chosen = await self._second_opinion(library, match.threshold, candidates)
        if chosen is None:
            return None
        _, definition = library.procedures[chosen.label]
        allowed = entry_allows(
            definition,
            channel=self.ctx.channel_kind,
            tags=self.interaction.tags,
            contact_attributes=self.ctx.contact_attributes,
            in_business_hours=self.ctx.open_now,
        )
        if not allowed:
            self.trace["entry_refused"] = chosen.label
            return None
        return chosen.label, chosen.confidence

    async def _second_opinion(
        self, library: Library, threshold: float, candidates: list[Candidate]
    ) -> Candidate | None:
        """Let the LLM pick among near misses: it may only name one of them, or none."""
        assert self.ctx.rank_procedure is not None
        close = [c for c in candidates if c.confidence >= threshold * LLM_RANK_FLOOR]
        if not close:
            return None
        options = [
            ProcedureOption(c.label, library.procedures[c.label][1].description) for c in close
        ]
        name = await self.ctx.rank_procedure(self.session, self.interaction, self.text, options)
        self.trace["llm_choice"] = {"offered": [c.label for c in close], "chosen": name}
        return next((c for c in close if c.label == name), None)

    def _start(self, auto: AutomationSession, library: Library, name: str) -> None:
        version, definition = library.procedures[name]
        auto.procedure_name, auto.procedure_version = name, version
        # The subject of the conversation is what the customer came for (analytics' topic).
        self.interaction.topic = definition.name.replace("_", " ").capitalize()[:200]
        auto.state = new_state(slots=self.ctx.inputs)

    def _slot_filler(self) -> Extractor | None:
        fill = self.ctx.fill_slot
        if fill is None:
            return None

        async def extract(description: str, text: str) -> str | None:
            return await fill(self.session, self.interaction, description, text)

        return extract

    async def _procedure(self, auto: AutomationSession, library: Library) -> None:
        assert auto.procedure_name is not None
        version, definition = library.procedures[auto.procedure_name]
        before = int((auto.state or {}).get("failures", 0))
        turn = await advance(
            definition,
            auto.state or None,
            self.text,
            self.ctx.tools,
            self.ctx.knowledge,
            clock.now(),
            extract_answer=self._slot_filler(),
        )
        auto.state = turn.state
        self.interaction.handled_by = HandledBy.aop
        self.trace["procedure"] = {
            "name": auto.procedure_name,
            "version": version,
            "steps": turn.trace,
            "status": turn.state.get("status"),
        }
        auto.failures = auto.failures + 1 if int(turn.state.get("failures", 0)) > before else 0
        await self.apply.say(turn.replies)
        handoff = next((a for a in turn.actions if isinstance(a, Handoff)), None)
        resolve = next((a for a in turn.actions if isinstance(a, Resolve)), None)
        await self.apply.set_fields(turn.actions)
        if turn.done:
            auto.procedure_name = auto.procedure_version = None
        if handoff is not None:
            why = Escalation(Reason.procedure_handoff, handoff.note or "the procedure handed over")
            return await self._hand_over(
                auto, why, queue=handoff.queue, note=handoff.note, announce=not turn.replies
            )
        if resolve is not None:
            self._record("resolved", reason=f"procedure {definition.name!r} resolved it")
            await self.apply.resolve(resolve)
            return None
        self._record("procedure", reason=f"procedure {definition.name!r} is in progress")
        return None

    async def _knowledge(self, auto: AutomationSession) -> bool:
        hits = await self.ctx.knowledge.search(self.text, collection=None, limit=KB_SOURCES)
        self.trace["kb"] = [
            {"title": h.title, "score": round(h.score, 4), "source": h.source} for h in hits
        ]
        top = hits[0] if hits else None
        if top is None or top.score < self.ctx.kb_threshold:
            return False
        answer = await self.ctx.compose_answer(self.session, self.interaction, self.text, hits)
        await self.apply.say([answer])
        self.interaction.handled_by = HandledBy.kb
        auto.failures = 0
        self._record("knowledge", reason=f"answered from {top.title!r}")
        return True

    async def _hand_over(
        self,
        auto: AutomationSession,
        why: Escalation,
        *,
        queue: str | None = None,
        note: str = "",
        announce: bool = True,
    ) -> None:
        auto.procedure_name = auto.procedure_version = None
        self._record("handoff", reason=why.reason.value, detail=why.detail)
        await self.apply.hand_over(why, queue_name=queue, note=note, announce=announce)

    def _record(self, decision: str, **more: Any) -> None:
        actor = Actor.automation(self.interaction.organization_id, self.ctx.agent_name)
        record_activity(
            self.session,
            self.interaction,
            "automation_turn",
            actor,
            decision=decision,
            **more,
            trace=self.trace,
        )


def handlers(settings: Settings) -> dict[str, Handler]:
    return {TURN: TurnHandler(settings)}
