//! The v1 questionnaire: 28 forced-choice items, each a short situation with four options
//! that each stand for a different mode. The design is balanced: over the set every mode is
//! offered in 16 questions and every pair of modes meets in 8 questions (the four-mode sets
//! are all 35 four-mode combinations except the seven whose complements form a Fano plane),
//! and each mode's option position is rotated, so that pick shares are comparable across modes.

use crate::engine::mode::Mode::*;

use super::Item;

/// The v1 items, in question order (question ids are 1-based positions).
pub(super) const ITEMS: [Item; 28] = [
    Item {
        text: "When facing a novel problem, I prefer to:",
        options: [
            (Exploration, "try an unusual approach and see what happens"),
            (Perception, "gather information before acting"),
            (Order, "break it into steps and work through them in order"),
            (Assertion, "pick a direction quickly and commit to it"),
        ],
    },
    Item {
        text: "In group settings, I tend to:",
        options: [
            (Connection, "make sure everyone feels included"),
            (Order, "help keep the discussion on track"),
            (Perception, "listen closely and notice what goes unsaid"),
            (Exploration, "steer the talk toward fresh ideas"),
        ],
    },
    Item {
        text: "When I start a new project, I first:",
        options: [
            (Order, "draw up a plan with clear milestones"),
            (Identity, "ask myself whether it fits what I care about"),
            (Perception, "study what already exists and how it works"),
            (
                Exploration,
                "sketch a few bold options to see what is possible",
            ),
        ],
    },
    Item {
        text: "When a meeting stalls, I usually:",
        options: [
            (Connection, "check in on how people are feeling about it"),
            (Perception, "pin down where the disagreement really lies"),
            (Exploration, "suggest a completely different angle"),
            (Assertion, "propose a decision and ask for a yes or no"),
        ],
    },
    Item {
        text: "When a deadline is suddenly moved up, I:",
        options: [
            (
                StressResponse,
                "feel the pressure spike and switch straight into high gear",
            ),
            (Exploration, "look for a clever shortcut nobody has tried"),
            (Perception, "look closely at what is truly required now"),
            (Assertion, "take charge and assign who does what"),
        ],
    },
    Item {
        text: "On a free weekend, I would most like to:",
        options: [
            (Exploration, "try an activity I have never done before"),
            (Connection, "spend time with the people I am close to"),
            (Identity, "work on something that matters to me personally"),
            (
                Perception,
                "wander somewhere and take in the details around me",
            ),
        ],
    },
    Item {
        text: "When a friend calls me in a panic, I:",
        options: [
            (
                Perception,
                "ask questions to understand exactly what happened",
            ),
            (Connection, "reassure them that they are not alone"),
            (
                StressResponse,
                "feel the alarm myself and drop everything to help",
            ),
            (Exploration, "brainstorm unexpected ways out of the mess"),
        ],
    },
    Item {
        text: "When I receive harsh criticism, I:",
        options: [
            (Identity, "weigh it against my own standards and values"),
            (Perception, "look for the specific points that hold up"),
            (Exploration, "treat it as a prompt to try something new"),
            (
                StressResponse,
                "feel stung at first and need a moment to steady myself",
            ),
        ],
    },
    Item {
        text: "When a team must choose between options, I:",
        options: [
            (Perception, "lay out the facts on each option"),
            (Order, "suggest a clear process for deciding"),
            (Assertion, "argue for the option I believe is best"),
            (
                Identity,
                "favor the option most in line with our principles",
            ),
        ],
    },
    Item {
        text: "When something breaks in the middle of a job, I:",
        options: [
            (Order, "turn to the checklist or procedure for it"),
            (Assertion, "take over and direct the fix"),
            (
                StressResponse,
                "go on alert and act fast to limit the damage",
            ),
            (
                Perception,
                "examine exactly what failed before touching anything",
            ),
        ],
    },
    Item {
        text: "When I join a new workplace, I:",
        options: [
            (Perception, "observe how things really get done"),
            (Order, "learn the routines and follow them carefully"),
            (Connection, "get to know my colleagues one by one"),
            (Identity, "stay myself rather than reshaping to fit in"),
        ],
    },
    Item {
        text: "When a trip goes wrong far from home, I:",
        options: [
            (Connection, "keep my companions calm and together"),
            (Perception, "take stock of where we are and what we have"),
            (
                StressResponse,
                "feel the urgency and move quickly to get us safe",
            ),
            (Order, "switch to the backup plan I prepared"),
        ],
    },
    Item {
        text: "When I am handed a task I have doubts about, I:",
        options: [
            (Perception, "gather more detail before forming a view"),
            (Order, "follow the agreed process and note my concerns"),
            (Identity, "check whether I can do it in good conscience"),
            (StressResponse, "feel uneasy and brace for it to go wrong"),
        ],
    },
    Item {
        text: "When I help out on someone else's project, I:",
        options: [
            (Assertion, "take the lead on the part I know best"),
            (Connection, "focus on keeping the collaboration friendly"),
            (Identity, "help in the way I believe is right"),
            (Perception, "first watch how they work and what they need"),
        ],
    },
    Item {
        text: "When a conflict breaks out between two colleagues, I:",
        options: [
            (Assertion, "step in and settle it directly"),
            (
                StressResponse,
                "feel the tension rise and want it over quickly",
            ),
            (
                Perception,
                "listen to both sides and look for the real issue",
            ),
            (Connection, "help each of them feel heard"),
        ],
    },
    Item {
        text: "When someone challenges my decision in public, I:",
        options: [
            (Identity, "explain the values behind my choice"),
            (StressResponse, "feel my guard go up and respond quickly"),
            (Assertion, "defend my call firmly"),
            (Perception, "hear out their reasoning carefully"),
        ],
    },
    Item {
        text: "When organizing an event, I like to:",
        options: [
            (Connection, "think about how guests will feel and connect"),
            (Assertion, "make the key calls and keep things moving"),
            (Exploration, "come up with a theme nobody has seen before"),
            (Order, "handle the schedule and logistics"),
        ],
    },
    Item {
        text: "When I learn a new skill, I:",
        options: [
            (
                Exploration,
                "experiment freely and learn by trial and error",
            ),
            (Identity, "tie it to the person I want to become"),
            (Assertion, "set an ambitious goal and push hard toward it"),
            (Order, "follow a structured course step by step"),
        ],
    },
    Item {
        text: "When a rival makes a surprise move, I:",
        options: [
            (Assertion, "respond boldly and seize the initiative"),
            (
                StressResponse,
                "feel the threat and move to protect our position",
            ),
            (Exploration, "look for an inventive counter nobody expects"),
            (Order, "stick to our plan and adjust it carefully"),
        ],
    },
    Item {
        text: "When plans fall apart at the last minute, I:",
        options: [
            (
                StressResponse,
                "feel the alarm and rush to contain the fallout",
            ),
            (Exploration, "improvise something new on the spot"),
            (Order, "rebuild a plan from whatever still works"),
            (Connection, "make sure everyone affected is okay"),
        ],
    },
    Item {
        text: "When my routine is suddenly disrupted, I:",
        options: [
            (Exploration, "enjoy the chance to do things differently"),
            (Identity, "hold on to the habits that matter most to me"),
            (Order, "set up a new routine as soon as I can"),
            (StressResponse, "feel on edge until things settle down"),
        ],
    },
    Item {
        text: "When pitching an idea to others, I:",
        options: [
            (Assertion, "state my case with confidence"),
            (Connection, "tie it to what my listeners care about"),
            (Identity, "explain why it matters to me"),
            (Exploration, "lead with the most original part of it"),
        ],
    },
    Item {
        text: "When I am offered a risky challenge, I:",
        options: [
            (Identity, "say yes only if it fits my values"),
            (
                Exploration,
                "get excited by the chance to try something untested",
            ),
            (
                StressResponse,
                "feel the stakes and prepare for what could go wrong",
            ),
            (Assertion, "accept and set the terms myself"),
        ],
    },
    Item {
        text: "When a close friend makes a choice I disagree with, I:",
        options: [
            (StressResponse, "worry and feel an urge to protect them"),
            (Exploration, "stay curious about what drew them to it"),
            (Connection, "keep supporting them, whatever they choose"),
            (Identity, "tell them honestly where I stand"),
        ],
    },
    Item {
        text: "When leading a small team, I focus on:",
        options: [
            (Order, "clear roles and a steady process"),
            (Identity, "a shared sense of purpose and values"),
            (Assertion, "setting direction and making the hard calls"),
            (Connection, "morale and trust among the team"),
        ],
    },
    Item {
        text: "When an emergency hits at work, I:",
        options: [
            (Order, "follow the emergency plan to the letter"),
            (Assertion, "take command and give clear instructions"),
            (Connection, "check that everyone is safe and supported"),
            (StressResponse, "react instantly, running on adrenaline"),
        ],
    },
    Item {
        text: "When I am under heavy pressure for weeks, I:",
        options: [
            (Identity, "remind myself why the work matters to me"),
            (
                StressResponse,
                "stay on high alert and guard my time and energy",
            ),
            (Order, "stick to a strict schedule to get through it"),
            (Connection, "lean on the people around me"),
        ],
    },
    Item {
        text: "When someone crosses a line with me, I:",
        options: [
            (StressResponse, "step back right away to protect myself"),
            (Assertion, "tell them plainly that it has to stop"),
            (Connection, "try to talk it through and mend things"),
            (Identity, "stand by my principles without apology"),
        ],
    },
];
