"""Hand-written anchor phrases: what a positive, neutral and negative customer message sounds like.

Written for Parley (no data set was copied). The static embedding of a message is compared with
these to catch sentiment the lexicon has no word for ("I have been on the phone for two hours").
"""

from __future__ import annotations

ANCHORS: dict[str, tuple[str, ...]] = {
    "negative": (
        "this is the worst service I have ever had",
        "I have been waiting for hours and nobody has answered",
        "my order never arrived and no one will help me",
        "you cancelled my booking without telling me",
        "I was charged twice and I want my money back",
        "the app keeps crashing and I cannot log in",
        "your agent was rude and hung up on me",
        "I am very disappointed and frustrated",
        "this is unacceptable, I want to speak to a manager",
        "my flight was delayed again and I missed my connection",
        "my bag is lost and nobody knows where it is",
        "still no refund after three weeks",
        "I am never using your company again",
        "why is it so hard to get a simple answer",
        "the package arrived broken",
        "I have called five times and the problem is still not fixed",
    ),
    "neutral": (
        "what time do you open tomorrow",
        "can you tell me the status of my order",
        "how do I change my delivery address",
        "I would like to update my email address",
        "do you ship to Canada",
        "my order number is 12345",
        "is there a fee for changing the date",
        "can I pay by bank transfer",
        "please send me the invoice for last month",
        "which documents do I need to bring",
        "I am travelling next week and have a question about luggage",
        "how long does delivery usually take",
        "where can I find the terms and conditions",
        "I sent you an email yesterday about my account",
        "can someone call me back this afternoon",
        "is the offer still available",
    ),
    "positive": (
        "thank you so much, that solved it",
        "great service, the agent was very helpful",
        "I love your product",
        "everything arrived on time, thanks",
        "you have been amazing, really appreciate it",
        "the problem is fixed now, perfect",
        "excellent support as always",
        "thanks for the quick reply",
        "the crew were friendly and the trip was smooth",
        "best customer service I have ever had",
        "happy with the refund, thank you",
        "that is exactly what I needed, cheers",
        "you made my day",
        "wonderful experience from start to finish",
        "much appreciated, have a nice day",
        "awesome, it works perfectly now",
    ),
}
