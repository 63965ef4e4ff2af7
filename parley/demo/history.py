"""The demo's last ten days of finished work: resolved, unresolved, and two follow-ups.

All of it is completed; ``today`` holds what is still moving. Times are UTC.
"""

from __future__ import annotations

from parley.demo.content import (
    BOT,
    SYSTEM,
    Conversation,
    D,
    H,
    M,
    agent,
    assign,
    bot,
    claim,
    clone,
    customer,
    note,
    on,
    resolved,
    survey,
    system,
    tag,
    to_agent,
    to_queue,
    unresolved,
    web,
    wrap_up,
)
from parley.models.enums import ChannelKind as K
from parley.models.enums import Direction, Priority

# Hand-laid like a transcript: one message per line is easier to read and review than the
# formatter's one-argument-per-line layout, which would triple the length of this file.
# fmt: off
HISTORY: tuple[Conversation, ...] = (
    Conversation(K.webchat, "emma", on(10, "09:12"), "Sizing for Trailhead Mid boots",
        tags=("sizing",),
        client=web("Chrome 126", "Windows 11", "203.0.113.24", "London", "United Kingdom",
                   "/boots/trailhead-mid-gtx"),
        steps=(
            customer("Hi, do the Trailhead Mid GTX boots run small? I'm normally a 6.5", 0),
            bot("Hi Emma! Trailhead Mids are true to size for most people. Between sizes, we "
                "suggest going up half a size for thicker hiking socks."),
            customer("I have quite wide feet though, would they still fit?", 50),
            bot("Fit for wide feet is best answered by one of our gear specialists. I'm passing "
                "you to the team now; it usually takes a few minutes."),
            to_queue(BOT, "support"),
            claim("tom", 150),
            agent("tom", "Hi Emma, Tom here. The Trailhead Mid has a medium-width last, so with "
                  "wide feet I'd go for a 7 in the Trailhead Mid Wide: 4 mm more across the "
                  "forefoot.", 60),
            customer("Oh I didn't know there was a wide version! Is it the same price?", 70),
            agent("tom", "Same price, £139, and a 7 is in stock. Returns are free if the fit "
                  "isn't right.", 45),
            customer("Perfect, ordering now. Thanks Tom!", 40),
            agent("tom", "Enjoy the hills, Emma!", 20),
            resolved("tom", "Product advice"),
            survey(5, "Tom knew exactly which boot I needed"),
        )),
    Conversation(K.email, "liam", on(10, "14:30"), "Where is my order NW-100412?",
        queue="orders", tags=("delivery",), custom_fields={"order_number": "NW-100412"},
        steps=(
            customer("Hello,\n\nI ordered a Ridgeline 2 tent a week ago (order NW-100412) and the "
                     "tracking still says 'label created'. We're going camping on Saturday. Can "
                     "you check what's going on?\n\nThanks,\nLiam", 0),
            claim("priya", 40 * M),
            note("priya", "Courier portal: parcel missed the depot scan. Trace raised, ref "
                 "TR-55812.", 4 * M),
            agent("priya", "Hi Liam,\n\nSorry about this. Your parcel missed a scan at the "
                  "courier's depot, so the tracking never updated. I've asked them to trace it "
                  "and, as Saturday is close, I've also sent a replacement tent by next-day "
                  "delivery at no cost. If the first parcel turns up, just refuse it.\n\n"
                  "Best wishes,\nPriya", 6 * M),
            customer("That's brilliant, thank you Priya. Much appreciated.", 2 * H),
            resolved("priya", "Delivery delay - replacement sent", 10 * M),
        )),
    Conversation(K.sms, "joe", on(9, "11:02"), "Change of delivery address", queue="orders",
        custom_fields={"order_number": "NW-100623"},
        steps=(
            customer("Hi", 0),
            customer("Please can you help me", 8),
            customer("My name is Joe Bloggs", 11),
            customer("I need to change the delivery address on my order, I'm at my mum's this "
                     "week", 35),
            claim("priya", 4 * M),
            agent("priya", "Hi Joe, Priya from Northwind here. Happy to help. Can you send me the "
                  "order number (it starts with NW) and the new address?", 60),
            customer("NW-100623, 14 Elm Grove, Leeds LS6 2AB", 3 * M),
            note("priya", "Not dispatched yet; address changed in the warehouse system."),
            agent("priya", "Done: NW-100623 will now go to 14 Elm Grove, Leeds LS6 2AB. It ships "
                  "today and the courier will text you a delivery window.", 2 * M),
            customer("Great thanks", 60),
            tag("priya", "address-change"),
            resolved("priya", "Delivery address changed", 3 * M),
        )),
    Conversation(K.voice, "margaret", on(9, "15:40"), "Refund not received", queue="billing",
        tags=("refund",),
        steps=(
            claim("tom", 25),
            agent("tom", "Northwind Outfitters, Tom speaking, how can I help?", 5),
            customer("Hello, I sent back a down jacket three weeks ago and I still haven't had "
                     "my money back.", 10),
            agent("tom", "I'm sorry to hear that. Can I take your order number or the email "
                  "address on the account?", 8),
            customer("It's margaret dot hughes at example dot org.", 12),
            agent("tom", "Thanks Margaret. The return arrived on the 2nd and the refund of £189 "
                  "was issued yesterday. Banks take three to five working days to show it.", 40),
            customer("Oh, so it's on its way then. That's a relief.", 10),
            agent("tom", "It is. I'll email you the refund confirmation so you have it in "
                  "writing.", 6),
            note("tom", "Refund RF-20931 issued the day before the call; confirmation emailed.",
                 60),
            wrap_up("tom"),
            resolved("tom", "Refund status explained", 70),
        )),
    Conversation(K.whatsapp, "carlos", on(8, "10:15"), "Ember stove arrived damaged",
        queue="orders", priority=Priority.high, tags=("damaged",),
        custom_fields={"order_number": "NW-100702"},
        steps=(
            customer("Hello, my Ember gas stove arrived today and the pot support is bent. Order "
                     "NW-100702", 0),
            customer("It was like this when I opened the box", 20),
            claim("priya", 6 * M),
            agent("priya", "Hi Carlos, I'm so sorry it arrived like that. Does the burner itself "
                  "work? Then I'll sort out the right fix for you.", 60),
            customer("The burner works but the pan wobbles, not safe", 4 * M),
            to_agent("priya", "tom", 2 * M, note="Carlos wants a replacement, not a refund. Tom "
                     "handles Ember warranty stock."),
            agent("tom", "Hi Carlos, Tom here, I look after our stoves. A replacement Ember is on "
                  "its way by next-day delivery; the courier will collect the damaged one.", 5 * M),
            customer("Excellent service, thank you both", 3 * M),
            tag("tom", "warranty", after=60),
            resolved("tom", "Replacement dispatched", 2 * M),
        )),
    Conversation(K.messenger, "sophie", on(8, "19:20"), "Promo code not working",
        tags=("promo-code",),
        steps=(
            customer("Hi! The code TRAIL15 says it's invalid at checkout?", 0),
            bot("Hi Sophie! TRAIL15 works on full-price items over £50; it can't be combined "
                "with sale prices. Is anything in your basket on sale?", 5),
            customer("Ahh yes the jacket is in the sale. Makes sense", 60),
            bot("Good news: the Cascade rain shell is already 25% off, more than TRAIL15 would "
                "give you. Anything else I can help with?", 5),
            customer("No that's all, thanks!", 30),
            resolved(BOT, "Answered by assistant", 2 * M),
        )),
    Conversation(K.instagram, "aisha", on(7, "12:05"), "Summit 45L restock date?",
        queue="support", tags=("stock",),
        steps=(
            customer("hey! any idea when the Summit 45L in forest green is back? 🌲", 0),
            claim("tom", 25 * M),
            agent("tom", "Hi Aisha! Forest green sold out faster than we expected and the "
                  "supplier hasn't confirmed a date yet, sorry. Slate grey is in stock if that "
                  "helps?", 60),
            customer("ah I really wanted the green. can you let me know when it's back?", 6 * M),
            agent("tom", "The 'Notify me' button on the product page will email you the moment "
                  "it's back in stock.", 3 * M),
            customer("ok will do thanks", 2 * M),
            unresolved("tom", "Out of stock - no restock date", 5 * M),
        )),
    Conversation(K.form, "oliver", on(7, "09:00"), "Return request: NW-100877", queue="orders",
        tags=("returns",), custom_fields={"order_number": "NW-100877", "reason": "too small"},
        steps=(
            customer("Order number: NW-100877\nItem: Merino 200 base layer (men's M)\nReason: "
                     "Too small\nComments: Could I exchange it for a size L?", 0),
            claim("priya", 2 * H),
            note("priya", "L in stock. Exchange approved, returns label RL-44810 generated.",
                 3 * M),
            agent("priya", "Hi Oliver,\n\nWe've reserved a size L for you and emailed a prepaid "
                  "returns label. As soon as the courier scans your parcel we'll send the L "
                  "out.\n\nPriya", 4 * M),
            resolved("priya", "Exchange authorised", 2 * M),
        )),
    Conversation(K.review, "hannah", on(6, "16:45"), "★★☆☆☆ Jacket leaked on first outing",
        queue="support", priority=Priority.high, tags=("review", "quality"),
        steps=(
            customer("★★☆☆☆ Disappointed\nBought the Cascade rain shell for a walking holiday in "
                     "the Lakes. The shoulders soaked through on the first afternoon. For £120 I "
                     "expected better.", 0),
            assign("daniel", "tom", 35 * M),
            note("daniel", "Public 2-star review. Tom, please reply today and offer a warranty "
                 "inspection.", 60),
            agent("tom", "Hi Hannah, I'm sorry the Cascade let you down in the Lakes; that's not "
                  "how it should perform. We'd like to inspect it under our 2-year waterproof "
                  "guarantee, and I've emailed you a free returns label. Tom, Northwind", 40 * M),
            resolved("tom", "Public reply posted", 5 * M),
        )),
    Conversation(K.api, "ravi", on(6, "08:00"), "Payment failed for order NW-101203",
        queue="billing", opened_by=SYSTEM, priority=Priority.high, tags=("payment",),
        custom_fields={"order_number": "NW-101203", "amount": "249.00", "currency": "GBP",
                       "decline_code": "insufficient_funds"},
        steps=(
            system("Payment of £249.00 for order NW-101203 was declined (insufficient funds). "
                   "The order is on hold for 48 hours."),
            claim("tom", 50 * M),
            note("tom", "Called Ravi twice, no answer. Left a voicemail and emailed a link to "
                 "update the card.", 10 * M),
            note("tom", "Still no reply by end of day; the order hold expires tomorrow.", 7 * H),
            unresolved("tom", "Customer unreachable", 5 * M),
        )),
    Conversation(K.sms, "marcus", on(6, "17:30"), "Missed delivery, again", queue="orders",
        priority=Priority.high, tags=("delivery",), custom_fields={"order_number": "NW-101118"},
        steps=(
            customer("This is ridiculous. The courier has missed my delivery twice now and nobody "
                     "called me. Order NW-101118.", 0),
            customer("I took a day off work for this!!", 25),
            claim("priya", 12 * M),
            agent("priya", "Marcus, I'm really sorry, that's not good enough. I've booked a "
                  "named-day delivery for tomorrow morning and refunded your delivery charge.", 60),
            customer("Fine. But I'm not impressed, this has wasted my whole day.", 5 * M),
            resolved("priya", "Redelivery booked - delivery charge refunded", 2 * M),
        )),
    Conversation(K.email, "ben", on(5, "10:20"), "Charged twice for order NW-101377",
        queue="billing", tags=("payment",), custom_fields={"order_number": "NW-101377"},
        steps=(
            customer("Hi,\n\nMy bank shows two payments of £86.50 for order NW-101377. Please "
                     "refund the duplicate.\n\nBen", 0),
            claim("tom", 1 * H),
            note("tom", "Only one capture in the payment provider; the second is an "
                 "authorisation hold that drops off within 5 working days.", 5 * M),
            agent("tom", "Hi Ben,\n\nYou were only charged once. The second £86.50 is a temporary "
                  "hold by your bank from a retried payment; it will disappear within five "
                  "working days without you doing anything.\n\nTom", 5 * M),
            customer("Ok, but if it hasn't gone by Friday I'll be back in touch.", 3 * H),
            unresolved("tom", "Pending authorisation - awaiting bank release", 10 * M),
            clone("tom", 3 * D),
            agent("tom", "Hi Ben,\n\nJust checking in: the duplicate £86.50 hold should have gone "
                  "from your statement by now. Could you confirm it has?\n\nTom", 2 * M),
            customer("Yes it's gone now, thanks for following up!", 5 * H),
            resolved("tom", "Duplicate hold released", 10 * M),
        )),
    Conversation(K.webchat, "freya", on(5, "20:10"), "Delivery to Norway",
        client=web("Safari 17", "macOS 14", "192.0.2.141", "Bergen", "Norway", "/shipping"),
        steps=(
            customer("Do you deliver to Norway?", 0),
            bot("Yes! We ship to Norway with DHL in 3 to 5 working days. Import VAT is collected "
                "by the courier on delivery."),
            customer("How much would that be on a £300 order?", 40),
            bot("I can't work that out exactly, so I've asked a colleague to reply here. You'll "
                "also get their answer by email."),
            to_queue(BOT, "orders"),
            claim("priya", 12 * H),
            agent("priya", "Good morning Freya! On a £300 order you'd pay 25% Norwegian VAT plus "
                  "DHL's handling fee of about NOK 200 when the parcel arrives.", 2 * M),
            unresolved("priya", "No response from customer", 2 * H),
        )),
    Conversation(K.voice, "marcus", on(4, "11:30"), "Tent pole snapped", queue="support",
        tags=("spare-parts",),
        steps=(
            claim("tom", 40),
            agent("tom", "Northwind Outfitters, Tom speaking.", 3),
            customer("Hi, a pole on my Ridgeline 2 snapped on Kinder Scout at the weekend. Can I "
                     "get a replacement section?", 8),
            agent("tom", "Sorry to hear that. I'll check the warehouse has the section and call "
                  "you back with a dispatch date.", 30),
            note("tom", "Ridgeline 2, bought in March. Asked the warehouse about pole section "
                 "RP-2-B.", 60),
            wrap_up("tom"),
            unresolved("tom", "Awaiting warehouse", 2 * M),
            clone("tom", 1 * D),
            agent("tom", "Hi Marcus, it's Tom from Northwind calling back about your tent pole.",
                  20),
            customer("Oh hi, thanks for ringing.", 5),
            agent("tom", "The replacement section left the warehouse this morning; it'll be with "
                  "you on Thursday.", 10),
            customer("Brilliant, just in time for the weekend.", 6),
            wrap_up("tom", 20),
            resolved("tom", "Spare part dispatched", 60),
        )),
    Conversation(K.sms, "sam", on(4, "08:47"), "Nordkapp sleeping bag back in stock",
        queue="orders", direction=Direction.outbound, opened_by="priya", tags=("backorder",),
        steps=(
            agent("priya", "Hi Sam, it's Northwind Outfitters. Your Nordkapp -10 sleeping bag is "
                  "back in stock and we can deliver it on Thursday. Reply YES to confirm.", 30),
            customer("YES", 11 * M),
            agent("priya", "Great, booked in for Thursday. Have a cosy trip!", 3 * M),
            resolved("priya", "Backorder delivery confirmed", 60),
        )),
    Conversation(K.review, "emma", on(4, "12:00"), "★★★★★ Great boots, even better advice",
        queue="support", tags=("review", "praise"),
        steps=(
            customer("★★★★★ Great boots, even better advice\nThe chat team talked me into the "
                     "wide fit version and they've been perfect for 60 miles of the Pennine "
                     "Way.", 0),
            claim("priya", 3 * H),
            agent("priya", "Thank you Emma! Tom will be delighted. Enjoy the rest of the Pennine "
                  "Way. Priya, Northwind", 2 * M),
            resolved("priya", "Public reply posted", 60),
        )),
    Conversation(K.whatsapp, "chloe", on(3, "13:15"), "Adjusting Kestrel poles", queue="orders",
        steps=(
            customer("Hi, my new Kestrel trekking poles won't lock at the length I want", 0),
            claim("priya", 9 * M),
            agent("priya", "Hi Chloe, sorry about that! I'll pass you to our gear team who know "
                  "the Kestrels inside out.", 60),
            to_queue("priya", "support", 30, note="Not an order issue: Kestrel lock adjustment. "
                     "Customer is happy to wait for a specialist."),
            claim("tom", 6 * M),
            agent("tom", "Hi Chloe, Tom here. Turn the small screw on the flick-lock a quarter "
                  "turn clockwise with a coin; it tightens the clamp.", 60),
            customer("That worked!! Thank you", 5 * M),
            resolved("tom", "Product advice", 60),
        )),
    Conversation(K.email, "lena", on(3, "09:05"), "Frage zum Nordkapp Schlafsack",
        queue="support", tags=("german",),
        steps=(
            customer("Hallo,\n\nist der Nordkapp -10 Schlafsack auch für Personen über 1,90 m "
                     "geeignet?\n\nViele Grüße\nLena Fischer", 0),
            claim("tom", 25 * M),
            agent("tom", "Hallo Lena,\n\nja: die Größe Long passt bis 2,00 m und kostet nur £10 "
                  "mehr. Beide Größen sind auf Lager.\n\nViele Grüße\nTom", 10 * M),
            customer("Super, danke für die schnelle Antwort!", 1 * H),
            resolved("tom", "Product advice", 15 * M),
        )),
    Conversation(K.messenger, "nadia", on(2, "17:40"), "Cancel order NW-101688",
        tags=("cancellation",), custom_fields={"order_number": "NW-101688"},
        steps=(
            customer("Hi can I cancel my order? I ordered the wrong size", 0),
            bot("I can help with that. Orders can be cancelled until they are packed; I'm "
                "checking with the team now."),
            to_queue(BOT, "orders"),
            claim("priya", 7 * M),
            agent("priya", "Hi Nadia, I caught it before packing: order NW-101688 is cancelled "
                  "and the refund is on its way to your card.", 2 * M),
            customer("Thank you so much!", 60),
            resolved("priya", "Order cancelled"),
        )),
    Conversation(K.instagram, "george", on(2, "21:15"), "Alpine Down Jacket in XXL?",
        queue="support",
        steps=(
            customer("Loved the Alpine Down Jacket in your last reel. Does it come in XXL?", 0),
            claim("tom", 11 * H + 55 * M),
            agent("tom", "Morning George! It does, in black and ember orange. XXL is cut a little "
                  "longer in the body too.", 60),
            customer("Sold. Ordering the orange 🔥", 8 * M),
            resolved("tom", "Product advice"),
        )),
    Conversation(K.voice, "sam", on(2, "10:05"), "Voicemail: boot warranty", queue="support",
        subtype="voicemail", tags=("warranty",),
        steps=(
            customer("Voicemail (0:42): Hi, it's Sam Turner. I've got a question about the "
                     "warranty on my boots, can someone call me back on 07700 900904? Thanks.",
                     0),
            claim("tom", 40 * M),
            note("tom", "Called back. Soles delaminating after 8 months: within warranty, returns "
                 "label sent.", 15 * M),
            resolved("tom", "Warranty claim opened", 2 * M),
        )),
    Conversation(K.webchat, "ines", on(1, "10:02"), "Returns window", tags=("returns",),
        client=web("Firefox 128", "Ubuntu 24.04", "198.51.100.77", "Lisbon", "Portugal",
                   "/help/returns"),
        steps=(
            customer("Olá! How long do I have to return something?", 0),
            bot("Hi Inês! You have 60 days from delivery to return unused items, and returns are "
                "free from the UK, Portugal and most of the EU."),
            customer("Perfect, thank you", 30),
            resolved(BOT, "Answered by assistant", 3 * M),
            survey(4),
        )),
    Conversation(K.form, "ravi", on(1, "14:20"), "Return request: NW-101540", queue="orders",
        tags=("returns", "damaged"), custom_fields={"order_number": "NW-101540"},
        steps=(
            customer("Order number: NW-101540\nItem: Kestrel trekking poles\nReason: Damaged\n"
                     "Comments: One pole arrived with a dented lower section.", 0),
            claim("priya", 50 * M),
            agent("priya", "Hi Ravi,\n\nSorry about the dent. We've emailed a prepaid label and "
                  "will refund you in full as soon as the poles are on their way back.\n\n"
                  "Priya", 5 * M),
            resolved("priya", "Refund authorised", 60),
        )),
    Conversation(K.email, "margaret", on(1, "16:30"), "VAT invoice for order NW-101599",
        queue="billing",
        steps=(
            customer("Hello,\n\nCould I have a VAT invoice for order NW-101599? It's for my "
                     "walking club.\n\nMargaret", 0),
            claim("tom", 35 * M),
            agent("tom", "Hi Margaret,\n\nThe VAT invoice is attached to this email. You can also "
                  "download it any time from Orders in your account.\n\nTom", 4 * M),
            resolved("tom", "Invoice sent", 60),
        )),
)
# fmt: on
