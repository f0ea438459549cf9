"""The guided lesson's steps, as data: from the autoencoder's bottleneck to what a VAE's smooth latent space gives.

Each step names the page its "Show me" opens and the state that page should open in (``Setup``); the Lesson
page (views/lesson.py) shows the words, explorer/lesson/state.py sets the state, explorer/lesson/ui.py the
banner. ``gap_point`` finds the empty place between two digits' clusters that step 3 pins on the latent pad.

No streamlit here, so the tests call it directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.inside import state as inside_state
from explorer.interpolate import state as interpolate_state

PAGES = {  # page file -> its title (app.py's PAGES)
    "views/lesson.py": "Lesson",
    "views/reconstruct.py": "Reconstruct",
    "views/latent_map.py": "Latent map",
    "views/inside.py": "Inside the VAE",
    "views/sampling.py": "AE vs VAE sampling",
    "views/interpolate.py": "Interpolate",
    "views/train.py": "Train",
    "views/arithmetic.py": "Latent arithmetic",
}
TWO_D = 2


@dataclass(frozen=True)
class Setup:
    """What "Show me" sets before the page opens; None leaves that setting as the user has it.

    ``picker``: the page's image picker (state.PickerKeys prefix) set to test ``digit``, example ``nth``;
    ``end_picker``/``end_digit``: a second picker (Interpolate's end); ``pad_gap``: pin the latent pad in the gap
    between these two digits' clusters on the autoencoder's map; ``sampler``: AE vs VAE sampling's sampler.
    """

    latent_size: int | None = None
    picker: str | None = None
    digit: int | None = None
    nth: int = 0
    end_picker: str | None = None
    end_digit: int | None = None
    pad_gap: tuple[int, int] | None = None
    sampler: str | None = None
    inside_source: str | None = None


@dataclass(frozen=True)
class Step:
    """One step of the lesson: its words, its formula (LaTeX or None), the page "Show me" opens, and the task."""

    title: str
    text: str
    formula: str | None
    page: str
    setup: Setup
    task: str
    why_2d: str = ""  # why the step switches to the 2-D models (shown when it does)
    more: tuple[tuple[str, str], ...] = ()  # further pages worth a look: (page file, what to do there)

    @property
    def page_title(self) -> str:
        return PAGES[self.page]


STEPS: tuple[Step, ...] = (
    Step(
        "An autoencoder is a bottleneck",
        "An autoencoder squeezes the 784 pixels of a digit into a short code z and rebuilds the digit from that "
        "code alone. It learns by making the rebuilt digit match the original, pixel by pixel, in squared error. "
        "With only two numbers per digit the squeeze is tight, so whatever survives it is what matters most.",
        r"z = e(x),\qquad \hat x = d(z),\qquad \mathcal{L}_{\mathrm{AE}}(x) = \lVert x - d(e(x)) \rVert^2",
        "views/reconstruct.py",
        Setup(latent_size=TWO_D),
        "Look at the autoencoder's row: which digits come back well from two numbers, and which lose their shape?",
        why_2d="two numbers per digit make the bottleneck visible",
    ),
    Step(
        "Its codes are features: the map",
        "Encode all 10,000 test digits and plot their codes: digits that look alike land near each other, with "
        "no label ever shown to the model. The code is a learned description of the digit. The autoencoder "
        "puts the clusters wherever training happened to leave them, at any scale.",
        None,
        "views/latent_map.py",
        Setup(latent_size=TWO_D),
        "Find the 1s and the 7s on the autoencoder's map. Which digits are their neighbours, and why might that be?",
        why_2d="with two numbers per code the map is the latent space itself, not a projection",
    ),
    Step(
        "Why an autoencoder cannot be sampled from",
        "To make a new digit we would pick a code and decode it. But the autoencoder was never asked about the "
        "places between its clusters, so nothing says what it draws there, and we do not even know which "
        "region to pick from. The pad below is pinned in an empty place between the 1s and the 7s.",
        None,
        "views/latent_map.py",
        Setup(latent_size=TWO_D, pad_gap=(1, 7)),
        "Move the pointer into the gap between the 1s and the 7s on the autoencoder's pad: what does each model "
        "draw there? Then leave the clusters altogether.",
        why_2d="the pad covers the whole 2-D latent space",
    ),
    Step(
        "A VAE encodes a distribution",
        "A VAE's encoder does not output one code but a Gaussian q(z|x): a mean mu and a spread sigma per "
        "dimension. On the plane that is an ellipse: every code inside it stands for this digit. Wide ellipses "
        "overlap their neighbours, which is what fills the gaps.",
        r"q(z \mid x) = \mathcal{N}\big(\mu(x),\ \mathrm{diag}\,\sigma^2(x)\big)",
        "views/inside.py",
        Setup(latent_size=TWO_D, picker=inside_state.PICKER, digit=7, inside_source=inside_state.PICK),
        "Compare the 7's ellipse with the prior's circles, then pick a 1: how far apart are the two ellipses, "
        "and how big?",
        why_2d="the ellipse is drawn on the latent plane itself",
    ),
    Step(
        "The reparameterisation trick",
        "Training needs a gradient through the random draw of z. Write the draw as a fixed noise eps, scaled by "
        "sigma and shifted by mu: the randomness sits in eps, and mu and sigma become ordinary numbers the "
        "gradient flows through.",
        r"z = \mu + \sigma \odot \varepsilon,\qquad \varepsilon \sim \mathcal{N}(0, I)",
        "views/inside.py",
        Setup(latent_size=TWO_D, picker=inside_state.PICKER, digit=4, inside_source=inside_state.PICK),
        'Press "draw eps again" a few times: where does z land, and how much does the decoded 4 change?',
        why_2d="you can watch z move inside its ellipse",
    ),
    Step(
        "The ELBO: reconstruction plus KL",
        "The VAE minimises two costs at once. The reconstruction term asks that a code drawn from q(z|x) decode "
        "back to x; the KL term asks that q(z|x) stay close to the prior N(0, I). For two Gaussians the KL has a "
        "closed form, so only the reconstruction needs sampling.",
        r"-\mathrm{ELBO}(x) = \mathbb{E}_{q(z|x)}\big[-\log p(x \mid z)\big] + \mathrm{KL}\big(q(z|x)\,\|\,"
        r"\mathcal{N}(0,I)\big),\quad \mathrm{KL} = -\tfrac12 \sum_j"
        r" \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)",
        "views/inside.py",
        Setup(picker=inside_state.PICKER, digit=2, inside_source=inside_state.PICK),
        "Read the two terms for this 2. Which dimensions carry KL, and which sit on the prior at zero cost?",
    ),
    Step(
        "Beta trades the two terms",
        "Weigh the KL term by beta. A small beta lets codes spread out for sharper reconstructions, leaving "
        "holes; a large beta packs them onto the prior, smoother but blurrier, until dimensions collapse and "
        "carry nothing. The slider shows the trade on one digit instantly; a real sweep retrains the model.",
        r"\mathcal{L}_\beta(x) = \mathbb{E}_{q(z|x)}\big[-\log p(x \mid z)\big] + \beta\,\mathrm{KL}\big(q(z|x)\,\|\,"
        r"\mathcal{N}(0,I)\big)",
        "views/inside.py",
        Setup(latent_size=TWO_D, picker=inside_state.PICKER, digit=7, inside_source=inside_state.PICK),
        "Drag beta from 1 to 4 and back to 0.2: how does the weighted objective move, and which term drives it?",
        why_2d="the beta sweep trains 2-D VAEs, so you can compare its runs with this one",
        more=(
            (
                "views/train.py",
                'The Train page\'s "Run the beta sweep" trains 2-D VAEs at beta 0.5, 1 and 4 in the background '
                "(about 2 minutes each on two cores) and shows their maps side by side.",
            ),
        ),
    ),
    Step(
        "Sampling new digits",
        "Because the KL term pulled every digit's distribution towards N(0, I), the prior now covers the "
        "codes: draw z from N(0, I), decode it, and you get a new digit. The same draws through the "
        "autoencoder land wherever its codes are not.",
        r"z \sim \mathcal{N}(0, I),\qquad x \sim p(x \mid z)",
        "views/sampling.py",
        Setup(sampler="prior"),
        "Compare the two grids drawn from the same random codes: how many of each model's samples would you call "
        "digits?",
    ),
    Step(
        "Why VAE samples are blurry",
        "The decoder outputs, per pixel, the probability of ink given the code, and we show that mean. A code "
        "that several slightly different digits share decodes to their average, so strokes come out soft. "
        "The KL term makes codes overlap on purpose, so some blur is the price of a latent space without holes.",
        r"\hat x = \mathbb{E}_{p(x|z)}[x] = \mathrm{sigmoid}(d(z))",
        "views/reconstruct.py",
        Setup(),
        "Compare the VAE's reconstructions with the autoencoder's and with the originals: where is the VAE softer?",
    ),
    Step(
        "What a smooth latent space gives",
        "Since every place in the VAE's latent space decodes to something digit-like, a straight walk from one "
        "digit's code to another's passes through plausible digits all the way. The same smoothness makes "
        "arithmetic on codes meaningful: add the direction from thin to bold strokes and a digit thickens.",
        r"z_t = (1 - t)\, z_{\text{start}} + t\, z_{\text{end}},\qquad t \in [0, 1]",
        "views/interpolate.py",
        Setup(picker=interpolate_state.START, digit=1, end_picker=interpolate_state.END, end_digit=7),
        "Walk from the 1 to the 7: which model's middle frames are still digits? Then try the Latent arithmetic page.",
        more=(("views/arithmetic.py", "Latent arithmetic adds attribute vectors such as thin to bold to a code."),),
    ),
)
STEP_COUNT = len(STEPS)


def step(number: int) -> Step:
    """Step ``number``, counted from 1."""
    if not 1 <= number <= STEP_COUNT:
        raise IndexError(f"the lesson has steps 1 to {STEP_COUNT}")
    return STEPS[number - 1]


def gap_point(
    uv: np.ndarray, labels: np.ndarray, a: int, b: int, grid: int = 31, radius: float = 0.06, k: int = 40
) -> tuple[float, float]:
    """An empty place between digit ``a``'s and digit ``b``'s codes, in pad units (explorer.latent_map.latent_pad).

    Among the points of a ``grid`` x ``grid`` lattice over the pad whose ``k`` nearest codes are at least a
    quarter ``a``s and a quarter ``b``s, the one with the fewest codes within ``radius`` (nearest the centre
    on a tie); the midpoint of the two clusters' medians when no lattice point has both as neighbours.
    """
    uv, labels = np.asarray(uv, dtype=np.float32).reshape(-1, 2), np.asarray(labels)
    axis = np.linspace(-0.9, 0.9, grid, dtype=np.float32)
    candidates = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    distances = np.linalg.norm(candidates[:, None, :] - uv[None, :, :], axis=2)
    nearest = labels[np.argpartition(distances, min(k, len(uv) - 1), axis=1)[:, :k]]
    between = ((nearest == a).mean(axis=1) >= 0.25) & ((nearest == b).mean(axis=1) >= 0.25)
    if not between.any():
        middle = (np.median(uv[labels == a], axis=0) + np.median(uv[labels == b], axis=0)) / 2
        return float(middle[0]), float(middle[1])
    crowd = np.where(between, (distances < radius).sum(axis=1), len(uv) + 1)
    best = int(np.lexsort((np.linalg.norm(candidates, axis=1), crowd))[0])
    return float(candidates[best, 0]), float(candidates[best, 1])
