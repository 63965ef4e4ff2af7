"""The demo's open work: with the assistant, waiting in a queue, with an agent, in wrap-up.

Most of it started minutes before the seed runs, so the console looks busy right now.
"""

from __future__ import annotations

from parley.demo.content import (
    BOT,
    SYSTEM,
    Conversation,
    H,
    M,
    agent,
    ago,
    assign,
    bot,
    claim,
    customer,
    note,
    on,
    system,
    to_agent,
    to_queue,
    web,
    wrap_up,
)
from parley.models.enums import ChannelKind as K
from parley.models.enums import Priority

# Hand-laid like a transcript, as in ``history``.
# fmt: off
TODAY: tuple[Conversation, ...] = (
    Conversation(K.email, "liam", on(2, "11:00"), "Rain cover for the Summit 45L?",
        queue="support",
        steps=(
            customer("Hi there,\n\nDoes the Summit 45L come with a rain cover, or do I need to "
                     "buy one separately?\n\nLiam", 0),
            claim("tom", 1 * H),
            agent("tom", "Hi Liam,\n\nThe Summit 45L has a built-in rain cover in the lid pocket. "
                  "Are you thinking of the older model? If you can send a photo of the label "
                  "inside, I'll check.\n\nTom", 6 * M),
        )),
    Conversation(K.email, "hannah", on(1, "18:45"), "Returns label for jacket inspection",
        queue="orders", priority=Priority.high, tags=("quality",),
        steps=(
            customer("Hello,\n\nTom said he'd email a returns label for my Cascade jacket but I "
                     "can't find it, not even in spam. Could you resend it?\n\nHannah Wright", 0),
        )),
    Conversation(K.webchat, "visitor", ago(7), "Ridgeline 2 for wild camping",
        client=web("Chrome 126", "Android 14", "203.0.113.88", "Glasgow", "United Kingdom",
                   "/tents/ridgeline-2"),
        steps=(
            customer("hello, is the Ridgeline 2 ok for wild camping in Scotland in October?", 0),
            bot("Hi! The Ridgeline 2 is a 3-season tent rated for winds up to 50 mph, so it's a "
                "solid choice for a Scottish autumn. Pitch it low and use all 12 guy points."),
            customer("what about midges lol", 70),
            bot("The inner is full mesh, fine enough to keep midges out. A head net for pitching "
                "in the evening still helps!"),
        )),
    Conversation(K.whatsapp, "chloe", ago(4), "Shop in Manchester?",
        steps=(
            customer("Hi do you have a shop in Manchester I can visit?", 0),
            bot("Hi Chloe! We're online only, but delivery to Manchester is free over £50 and "
                "returns are free too. Can I help you choose something?", 5),
        )),
    Conversation(K.email, "ben", ago(140), "Company invoice with VAT number", queue="billing",
        steps=(
            customer("Hi,\n\nCould you re-issue the invoice for NW-101377 with our company name "
                     "(Adeyemi Outdoor Events Ltd) and VAT number GB 123 4567 89?\n\nBen", 0),
        )),
    Conversation(K.whatsapp, "carlos", ago(22), "Wrong colour sent", queue="orders",
        custom_fields={"order_number": "NW-101912"},
        steps=(
            customer("Hi again! I ordered the Summit 45L in slate grey but got the orange one", 0),
            customer("Order NW-101912", 15),
        )),
    Conversation(K.webchat, "lena", ago(16), "Trekking pole length",
        client=web("Firefox 128", "Windows 10", "192.0.2.57", "Munich", "Germany",
                   "/poles/kestrel"),
        steps=(
            customer("Hi, which Kestrel pole length is right for 1.78 m?", 0),
            bot("For 1.78 m, the 115-135 cm Kestrel is the one: set it to about 120 cm on flat "
                "ground."),
            customer("And for steep descents? I'd like to talk to a person please", 50),
            bot("Of course, I'm passing you to a gear specialist now."),
            to_queue(BOT, "support"),
        )),
    Conversation(K.voice, "margaret", ago(55), "Voicemail: delivery question", queue="support",
        subtype="voicemail",
        steps=(
            customer("Voicemail (0:31): Hello, it's Margaret Hughes again. Can somebody ring me "
                     "about whether you deliver on Saturdays? Thank you.", 0),
        )),
    Conversation(K.review, "oliver", ago(300), "★★★☆☆ Good gear, slow exchange",
        queue="support", tags=("review",),
        steps=(
            customer("★★★☆☆ Good gear, slow exchange\nThe base layer is lovely but the exchange "
                     "took nearly two weeks from sending mine back.", 0),
        )),
    Conversation(K.sms, "ravi", ago(6), "Gas canisters", queue="orders",
        steps=(
            customer("Hi do you sell gas canisters for the Ember stove?", 0),
        )),
    Conversation(K.sms, "joe", ago(31), "Tent footprint", queue="orders",
        steps=(
            customer("Hi it's Joe Bloggs again", 0),
            customer("Does the Ridgeline 2 need a footprint?", 20),
            claim("priya", 5 * M),
            agent("priya", "Hi Joe! Not strictly, the groundsheet is 5000 mm, but a footprint "
                  "makes it last longer on rocky ground. It's £29.", 60),
            customer("Ok can I add one to my last order?", 4 * M),
            note("priya", "NW-100623 was delivered, so this needs a new order. Checking stock."),
        )),
    Conversation(K.instagram, "aisha", ago(50), "Summit 45L forest green is back?",
        queue="support", tags=("stock",),
        steps=(
            customer("saw the forest green summit in your story!! is it back??", 0),
            assign("daniel", "tom", 12 * M),
            agent("tom", "Hi Aisha, it is! 14 in stock this morning. Here's the link: "
                  "shop.northwind.example/packs/summit-45", 3 * M),
            customer("yesss ordering now. do you have the matching hip belt pockets?", 6 * M),
        )),
    Conversation(K.webchat, "emma", ago(14), "Gaiters for Trailhead boots",
        client=web("Chrome 126", "Windows 11", "203.0.113.24", "London", "United Kingdom",
                   "/accessories/gaiters"),
        steps=(
            customer("Hi, which gaiters fit the Trailhead Mid Wide?", 0),
            bot("Good question! Let me get a specialist for you."),
            to_queue(BOT, "support"),
            claim("priya", 90),
            agent("priya", "Hi Emma! The Scree gaiters in size M/L fit the Trailhead Mid Wide "
                  "perfectly.", 50),
            customer("Great. Are they waterproof?", 60),
        )),
    Conversation(K.api, "sam", ago(125), "Address validation failed for NW-101944",
        queue="orders", opened_by=SYSTEM, custom_fields={"order_number": "NW-101944"},
        steps=(
            system("The courier rejected the delivery address for order NW-101944: postcode "
                   "'LS6 2XX' does not match the street."),
            claim("priya", 20 * M),
            note("priya", "Texted Sam for the right postcode; order held until he replies.",
                 5 * M),
        )),
    Conversation(K.form, "freya", ago(240), "Return request: NW-101760", queue="orders",
        tags=("returns",), custom_fields={"order_number": "NW-101760"},
        steps=(
            customer("Order number: NW-101760\nItem: Cascade rain shell (women's S)\nReason: Too "
                     "small\nComments: Is a refund possible instead of an exchange?", 0),
            claim("priya", 1 * H),
            agent("priya", "Hi Freya,\n\nOf course. Your prepaid label is attached; the refund "
                  "goes back to your card when the jacket arrives.\n\nPriya", 8 * M),
        )),
    Conversation(K.messenger, "george", ago(35), "Order not arrived", queue="orders",
        steps=(
            customer("Hi my Alpine jacket hasn't arrived yet, order NW-101801", 0),
            claim("priya", 6 * M),
            agent("priya", "Hi George, checking with the courier now.", 60),
            to_agent("priya", "tom", 4 * M, note="Courier says it was left with a neighbour. "
                     "Tom helped George last week, so handing over to him."),
            agent("tom", "Hi George, Tom here. The courier left it with number 12. Could you "
                  "check with them?", 5 * M),
        )),
    Conversation(K.voice, "marcus", ago(12), "Sleeping mat repair kit", queue="support",
        steps=(
            claim("tom", 20),
            agent("tom", "Northwind Outfitters, Tom speaking.", 3),
            customer("Hi Tom, it's Marcus again. Do you sell a repair kit for the Drift mat?", 6),
            agent("tom", "We do: the Drift repair kit is £8 and fits in the stuff sack. I'll "
                  "text you the link.", 25),
            customer("Perfect, cheers.", 5),
            wrap_up("tom", 10),
            note("tom", "Sent the repair kit link by text.", 40),
        )),
    Conversation(K.webchat, "ines", ago(9), "Exchange for a bigger size",
        client=web("Firefox 128", "Ubuntu 24.04", "198.51.100.77", "Lisbon", "Portugal",
                   "/account/orders"),
        steps=(
            customer("Hi again, can I swap my base layer for a L?", 0),
            bot("I'll get a colleague to set that up for you."),
            to_queue(BOT, "orders"),
            claim("priya", 60),
            agent("priya", "Hi Inês! Done: the exchange is set up and the label is in your "
                  "email.", 2 * M),
            customer("Obrigada!", 40),
            wrap_up("priya", 30),
        )),
)
# fmt: on
