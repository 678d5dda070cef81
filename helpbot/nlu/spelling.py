"""How a tenant's message is spelt before anything reads it: one form for each word.

Shared by the classifier, the safety cues and the knowledge base, so its own module:
the knowledge base reads normalised text and training reads the knowledge base.
"""

from __future__ import annotations

import re
import unicodedata

# Text-speak, contractions typed without an apostrophe and non-UK words folded into
# one spelling, so "u cant" and "you can't", "apartment" and "flat" are the same
# words to the model and to the safety cues. Only unambiguous forms: not "ill"
# (ill/I'll), "id" (ID/I'd) or "its".
SPELLINGS: dict[str, str] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "yer": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "2day": "today",
    "2nite": "tonight",
    "tonite": "tonight",
    "nite": "night",
    "b4": "before",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "wiv": "with",
    "wot": "what",
    "wat": "what",
    "summat": "something",
    "nowt": "nothing",
    "owt": "anything",
    "lecky": "electric",
    "leccy": "electric",
    "some1": "someone",
    "sum1": "someone",
    "no1": "no one",
    "any1": "anyone",
    "every1": "everyone",
    "2moro": "tomorrow",
    "tmrw": "tomorrow",
    "ppl": "people",
    "msg": "message",
    "n": "and",
    "&": "and",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "aint": "isn't",
    "im": "i'm",
    "ive": "i've",
    "theres": "there's",
    "thats": "that's",
    "whats": "what's",
    "neighbor": "neighbour",
    "neighbors": "neighbours",
    "nabor": "neighbour",
    "naybor": "neighbour",
    "apartment": "flat",
    "apartments": "flats",
    "elevator": "lift",
    "faucet": "tap",
    "trash": "rubbish",
    "garbage": "rubbish",
    "mam": "mum",
    # Danger words as dyslexia spells them (conversation set 5): none is another word.
    "seeling": "ceiling",
    "celing": "ceiling",
    "cieling": "ceiling",
    "ceilling": "ceiling",
    "sieling": "ceiling",
    "mom": "mum",
}
# Skin-tone modifiers, emoji variation selector and zero-width joiner: "👍🏽" is "👍".
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")


def normalise(text: str) -> str:
    """The form of a message the classifier and the safety cues see, in training and in use.

    Tenants write "GAS!!!!" and "gas!", "u cant" and "you can't", "👍🏽" and "👍":
    lower-casing, squeezing repeated characters, folding spellings (``SPELLINGS``)
    and dropping emoji modifiers make each pair the same words.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _EMOJI_MODIFIERS.sub("", text)
    text = re.sub(r"([!?.])\1+", r"\1\1", text)
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text.lower())
    text = re.sub(r"\bmy self\b", "myself", text)
    return " ".join(SPELLINGS.get(word, word) for word in text.split())
