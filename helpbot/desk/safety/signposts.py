"""Which helplines a safeguarding message needs, by what it is about (TAXONOMY.md).

One reply for every safeguarding message sent a child left alone to a domestic-abuse
helpline. The kinds here are the ones with their own help: a child at risk (NSPCC,
the council's children's services), an adult at risk (the council's adult social
care), thoughts of suicide or self-harm (Samaritans, 999 in immediate danger) and
domestic abuse (the National Domestic Abuse Helpline). The classifier has already
said the message is a safeguarding concern (or the safety net saw the risk); these
few cues only choose the helplines. More than one kind may fit, and each gets its
line; when none fits, the general line (999, the police on 101) and Samaritans, who
listen to anyone. A domestic-abuse line is given only on a domestic-abuse cue.
"""

from __future__ import annotations

import re

from helpbot.desk.wording import Wording

KINDS = ("child", "adult", "suicide", "domestic")
UNSURE = ("general", "suicide")

_CHILD_WORDS = (
    r"(child|children|kids?|kiddies|bab(y|ies)|toddlers?|infants?|little (one|ones|boy|girl)"
    r"|young (boy|girl|lad|lass|teenager)|teenagers?|(\d|1[0-7]|one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)"
    r"[ -]?(year|yr)s?[ -]?olds?)"
)
_CUES: dict[str, re.Pattern[str]] = {
    "child": re.compile(
        rf"\b{_CHILD_WORDS}\b"
        r"|\b(son|daughter|grandson|granddaughter|niece|nephew)\b[^.!?]{0,30}\b(left (home )?"
        r"alone|on (his|her) own|neglected|hungry|being (hit|hurt|abused|groomed)|bruis)"
        r"|\bgroom(ed|ing)\b",
        re.IGNORECASE,
    ),
    "adult": re.compile(
        r"\bvulnerable (adult|man|woman|lady|person|neighbour|tenant)\b"
        r"|\b(elderly|frail|pensioners?|dementia|alzheimer'?s)\b"
        r"|\bold (man|woman|lady|gentleman|gent|couple|neighbour)\b"
        r"|\b(not|haven'?t|hasn'?t|nobody has|no one has) (been )?seen (him|her|them)\b"
        r"|\b(not|haven'?t|hasn'?t) (been )?seen\b[^.!?]{0,30}\b(days|weeks|a while|ages)\b"
        r"|\bself[- ]neglect|\bhoard(er|ing)\b|\bcuckoo(ed|ing)?\b"
        r"|\b(taking|took|stealing|stole|stealing) (his|her|their) (money|pension|benefits)\b"
        r"|\bcarer\b[^.!?]{0,40}\b(hits?|hurts?|abus|steal|stole|neglect|shout)"
        r"|\b(isn'?t|not|can'?t be) coping\b|\bwelfare check\b",
        re.IGNORECASE,
    ),
    "suicide": re.compile(
        r"suicid|\bself[- ]?harm|\b(kill|killing|harm|harming|hurt|hurting) myself\b"
        r"|\b(end|ending|take|taking) (my|his|her) (own )?life\b|\bend (it all|things)\b"
        r"|\b(want|wants|wanted) to die\b|\boverdos"
        r"|\bdon'?t want to (be here|live|wake up)\b|\bbetter off without me\b"
        r"|\b(no|not any) (point|reason) (in |to )?(living|live|going on|carrying on)\b"
        r"|\bcan'?t (go on|cope any ?more|take (it|this) any ?more)\b"
        r"|\b(pills|tablets|paracetamol)\b[^.!?]{0,30}\b(all|whole|handful|lot)\b",
        re.IGNORECASE,
    ),
    "domestic": re.compile(
        r"\bdomestic (abuse|violence)\b|\babusive (relationship|partner|husband|wife|"
        r"boyfriend|girlfriend|ex)\b|\bcoercive\b|\bcontrolling (partner|husband|wife|"
        r"boyfriend|girlfriend|ex|relationship)\b"
        r"|\b(my |her |his |their )(partner|husband|wife|boyfriend|girlfriend|ex|fianc[eé]e?)\b"
        r"[^.!?]{0,50}\b(hit|hits|hitting|beat|beats|beating|punch|punched|kick|kicked|"
        r"hurt|hurts|hurting|threaten|threatens|threatened|threatening|abuse|abuses|abused|"
        r"abusing|choke|choked|strangle|strangled|push|pushed|slap|slapped|control|controls|"
        r"stalk|stalks|stalking|harass|harasses|harassing)\b"
        r"|\bmy (son|daughter|dad|father|mum|mother|brother|sister|step-?dad|stepfather|"
        r"family)\b[^.!?]{0,30}\b(hits|hit|beats|beat|hurts|threatens|threatened|abuses|"
        r"abused|attacks|attacked) me\b"
        r"|\b(scared|afraid|frightened|terrified) of (my |her |his )(partner|husband|wife|"
        r"boyfriend|girlfriend|ex)\b|\bfleeing\b",
        re.IGNORECASE,
    ),
}


def kinds_of(text: str) -> tuple[str, ...]:
    """The safeguarding kinds this message is about, in a fixed order; () if unsure."""
    return tuple(kind for kind in KINDS if _CUES[kind].search(text))


def helplines(text: str) -> tuple[str, ...]:
    """The lines of help to give: the kinds found, or the general line and Samaritans."""
    return kinds_of(text) or UNSURE


def signposts(say: Wording, text: str) -> str:
    """The helplines for this message, one bullet each."""
    return "\n".join(say("safeguarding", line) for line in helplines(text))


def for_colleagues(say: Wording, text: str) -> str:
    """What the tenant was given, for the case's topic (names of the helplines only)."""
    names = ", ".join(say("safeguarding_staff", line) for line in helplines(text))
    return say("staff", "signposted", helplines=names)
