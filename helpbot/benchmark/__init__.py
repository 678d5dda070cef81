"""``make benchmark``: helpbot under load, side by side with a bare PTB echo bot.

``python -m helpbot.benchmark --help`` lists the knobs; README's "Speed" has figures.
"""
