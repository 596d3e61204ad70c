"""The experiment pages: the form from a model's form, its confirmation, the grid and its
controls, tried by alice (owner), bob (team member) and charlie (outsider)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from playground.experiments.models import Experiment, ExperimentStatus
from playground.jobs.models import Generation, Status
from tests.experiments.conftest import SWEEP, finish, start

pytestmark = pytest.mark.django_db
NEW = reverse("experiments:new", args=["fal-ai/flux/dev"])
FORM = {"prompt": "a fox"}
SWEEP_POST = {
    "__kind": "sweep",
    "__x_field": "guidance_scale",
    "__x_values": "[2.5, 3.5, 5]",
    "__y_field": "num_inference_steps",
    "__y_values": "[4, 8, 12]",
}


def grid_url(experiment) -> str:
    return reverse("experiments:grid", args=[experiment.code])


def test_the_form_shows_the_models_fields_and_the_kinds(client_alice):
    response = client_alice.get(NEW)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="prompt"' in page
    assert 'name="__kind" value="sweep"' in page
    assert '<option value="guidance_scale"' in page


def test_the_form_is_prefilled_from_a_generation(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})
    generation = experiment.generations.get()
    Generation.objects.filter(pk=generation.pk).update(input={"prompt": "an owl at dusk"})

    response = client_alice.get(f"{NEW}?from={generation.code}")

    assert "an owl at dusk" in response.content.decode()


def test_the_form_is_prefilled_from_a_preset_of_its_owner_only(client_alice, alice, charlie):
    from playground.gallery.models import Preset

    mine = Preset.objects.create(
        owner=alice, endpoint_id="fal-ai/flux/dev", name="Owl", input={"prompt": "an owl preset"}
    )
    theirs = Preset.objects.create(
        owner=charlie,
        endpoint_id="fal-ai/flux/dev",
        name="Heron",
        input={"prompt": "a heron preset"},
    )

    assert "an owl preset" in client_alice.get(f"{NEW}?preset={mine.pk}").content.decode()
    refused = client_alice.get(f"{NEW}?preset={theirs.pk}")
    assert refused.status_code == 200
    assert "a heron preset" not in refused.content.decode()


def test_the_model_page_has_an_experiment_button(client_alice):
    response = client_alice.get(reverse("catalog:model", args=["fal-ai/flux/dev"]))

    assert f'href="{NEW}" data-experiment-link' in response.content.decode()


def test_the_model_pages_form_posted_to_edit_comes_back_filled(client_alice):
    response = client_alice.post(NEW, {"__step": "edit", "prompt": "a heron", "__mode": "queue"})

    assert response.status_code == 200
    assert "a heron" in response.content.decode()
    assert not Experiment.objects.exists()


def test_planning_shows_the_confirmation_with_runs_and_starts_nothing(client_alice):
    response = client_alice.post(NEW, {**FORM, **SWEEP_POST, "__step": "plan"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Start 9 runs?" in page
    assert 'name="__x_values" value="[2.5, 3.5, 5]"' in page
    assert not Experiment.objects.exists()


def test_starting_creates_the_experiment_and_redirects_to_its_grid(client_alice, alice):
    response = client_alice.post(NEW, {**FORM, **SWEEP_POST, "__step": "start"})

    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == grid_url(experiment)
    assert experiment.owner == alice
    assert experiment.generations.count() == 9


def test_a_large_experiment_needs_the_box_ticked(client_alice, settings):
    settings.EXPERIMENT_CONFIRM_ABOVE = 4
    data = {**FORM, **SWEEP_POST, "__step": "start"}

    asked = client_alice.post(NEW, data)
    assert asked.status_code == 200
    assert "data-confirmed" in asked.content.decode()
    assert not Experiment.objects.exists()

    started = client_alice.post(NEW, {**data, "__confirmed": "1"})
    assert started.status_code == 302


def test_a_bad_sweep_comes_back_with_the_message_under_its_input_not_a_500(client_alice):
    data = {**FORM, **SWEEP_POST, "__x_values": "", "__step": "plan"}

    response = client_alice.post(NEW, data)

    assert response.status_code == 422
    assert 'data-inline-problem="__x_values"' in response.content.decode()


def test_a_missing_required_field_is_shown_on_the_form(client_alice):
    response = client_alice.post(NEW, {**SWEEP_POST, "prompt": "", "__step": "plan"})

    assert response.status_code == 422
    assert "need attention" in response.content.decode()


def test_an_unknown_model_is_404(client_alice):
    assert client_alice.get(reverse("experiments:new", args=["no/such-model"])).status_code == 404


def test_running_for_a_team_one_is_not_in_is_refused(client_alice, charlie):
    from playground.accounts.models import Membership, Role, Team

    other = Team.objects.create(name="Other", slug="other")
    Membership.objects.create(user=charlie, team=other, role=Role.OWNER)

    response = client_alice.post(NEW, {**FORM, **SWEEP_POST, "__step": "start", "__team": other.pk})

    assert response.status_code == 422
    assert not Experiment.objects.exists()


def test_the_grid_shows_the_axis_labels_and_a_cell_per_run(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev)

    response = client_alice.get(grid_url(experiment))

    page = response.content.decode()
    assert response.status_code == 200
    for label in ("2.5", "3.5", "5", "4", "8"):
        assert f">{label}</span></div>" in page  # a column or row header
    assert page.count("data-cell ") == 6
    assert f'ws-connect="/ws/experiments/{experiment.code}/"' in page


def test_a_finished_cell_links_to_its_generation(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})
    generation = experiment.generations.get()
    finish(generation)

    page = client_alice.get(grid_url(experiment)).content.decode()

    assert generation.get_absolute_url() in page
    assert "xg-cell--completed" in page


@pytest.mark.parametrize(
    ("who", "status"), [("alice", 200), ("bob", 200), ("charlie", 404), ("anonymous", 302)]
)
def test_who_sees_the_grid(client, request, alice, bob, charlie, team, flux_dev, who, status):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, team=team)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))

    assert client.get(grid_url(experiment)).status_code == status


@pytest.mark.parametrize(("who", "status"), [("alice", 302), ("bob", 403), ("charlie", 404)])
def test_who_may_pause(client, request, alice, bob, charlie, team, flux_dev, who, status):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, team=team)
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("experiments:pause", args=[experiment.code]))

    assert response.status_code == status
    experiment.refresh_from_db()
    paused = experiment.status == ExperimentStatus.PAUSED
    assert paused is (status == 302)


def test_pause_resume_and_cancel_from_the_grid(client_alice, alice, flux_dev, settings):
    settings.RUNS_IN_FLIGHT_PER_USER = 2
    experiment = start(alice, flux_dev)
    code = experiment.code

    client_alice.post(reverse("experiments:pause", args=[code]))
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.PAUSED

    response = client_alice.post(reverse("experiments:resume", args=[code]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="experiment-status"' in response.content.decode()
    assert "data-pause" in response.content.decode()

    client_alice.post(reverse("experiments:cancel", args=[code]))
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.CANCELLED
    assert all(g.cancel_requested for g in experiment.generations.filter(status=Status.PENDING))


def test_the_controls_refuse_get(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec=SWEEP)

    response = client_alice.get(reverse("experiments:cancel", args=[experiment.code]))

    assert response.status_code == 405


def test_the_experiments_list_shows_mine_and_my_teams_not_others(
    client, alice, bob, charlie, team, flux_dev
):
    start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, title="Alice solo")
    start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, team=team, title="For the team")
    start(charlie, flux_dev, spec={"kind": "seeds", "count": 1}, title="Charlie's")
    client.force_login(bob)

    page = client.get(reverse("experiments:index")).content.decode()

    assert "For the team" in page
    assert "Alice solo" not in page
    assert "Charlie&#x27;s" not in page


def test_the_experiments_list_costs_a_fixed_number_of_queries(
    client_alice, alice, flux_dev, django_assert_max_num_queries
):
    for _ in range(5):
        start(alice, flux_dev, spec={"kind": "seeds", "count": 2})

    with django_assert_max_num_queries(8):
        response = client_alice.get(reverse("experiments:index"))
    assert response.content.decode().count("data-experiment-row") == 5


def test_the_gallery_links_to_the_experiments(client_alice):
    page = client_alice.get(reverse("gallery:index")).content.decode()

    assert f'href="{reverse("experiments:index")}" data-experiments-filter' in page


def test_a_list_of_seeds_runs_those_seeds(client_alice):
    data = {**FORM, "__kind": "seeds", "__seeds": "7, 42", "__step": "start"}

    client_alice.post(NEW, data)

    experiment = Experiment.objects.get()
    assert sorted(g.input["seed"] for g in experiment.generations.all()) == [7, 42]


def test_seeds_that_are_not_numbers_are_refused_naming_the_field(client_alice):
    data = {**FORM, "__kind": "seeds", "__seeds": "7, lucky", "__step": "plan"}

    response = client_alice.post(NEW, data)

    assert response.status_code == 422
    assert 'data-inline-problem="__seeds"' in response.content.decode()


def test_a_runs_page_links_to_its_experiment(client_alice, alice, flux_dev):
    experiment = start(alice, flux_dev, spec={"kind": "seeds", "count": 1})
    generation = experiment.generations.get()

    page = client_alice.get(generation.get_absolute_url()).content.decode()

    assert f'href="{grid_url(experiment)}" data-experiment' in page


def test_the_grid_costs_the_same_queries_whatever_its_size(client_alice, alice, flux_dev):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = start(alice, flux_dev, spec={"kind": "seeds", "count": 2})
    large = start(alice, flux_dev, spec={"kind": "seeds", "count": 12})
    for experiment in (small, large):
        for generation in experiment.generations.all():
            finish(generation)

    with CaptureQueriesContext(connection) as few:
        client_alice.get(grid_url(small))
    with CaptureQueriesContext(connection) as many:
        client_alice.get(grid_url(large))

    assert len(many) == len(few)


def test_a_plan_error_on_an_input_field_is_shown_on_that_field(client_alice, monkeypatch):
    from playground.experiments import actions
    from playground.experiments.plan import PlanError

    def refuse(**kwargs):
        raise PlanError("Up to 4 images.", field="num_images")

    monkeypatch.setattr(actions, "plan_for", refuse)
    response = client_alice.post(NEW, {**FORM, **SWEEP_POST, "__step": "plan"})

    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-error-for="num_images"><li>Up to 4 images.</li>' in page


def test_a_plan_error_on_a_swept_field_is_shown_under_the_sweeps_values(client_alice):
    data = {**FORM, **SWEEP_POST, "__x_values": "[1, 99]", "__step": "plan"}

    response = client_alice.post(NEW, data)

    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-inline-problem="__x_values"' in page and "99" in page
    assert 'data-error-for="guidance_scale"><li>' not in page  # not on the form's field


def test_change_it_goes_back_to_the_form_with_everything_kept(client_alice):
    data = {**FORM, **SWEEP_POST, "__step": ["start", "edit"]}

    response = client_alice.post(NEW, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="__x_values" value="[2.5, 3.5, 5]"' in page
    assert '<option value="num_inference_steps" selected>' in page
    assert not Experiment.objects.exists()


def test_the_grid_carries_the_short_labels_for_show_differences_only(client_alice, alice, flux_dev):
    # Stored as a prompt list plans it (axes and cells), without depending on the planner.
    prompts = ["a red fox", "a blue fox"]
    experiment = Experiment.objects.create(
        owner=alice,
        model=flux_dev,
        endpoint_id=flux_dev.endpoint_id,
        kind="prompts",
        spec={"kind": "prompts", "prompts": prompts},
        axes=[{"key": "prompt", "label": "Prompt", "values": prompts, "value_labels": prompts}],
        cells=[
            {"coords": [i], "endpoint_id": flux_dev.endpoint_id, "input": {"prompt": p}}
            for i, p in enumerate(prompts)
        ],
        next_cell=2,
        status=ExperimentStatus.FINISHED,
    )

    page = client_alice.get(grid_url(experiment)).content.decode()

    assert (
        '<span class="xg-full xg-full--long">a red fox</span><span class="xg-short">red</span>'
        in page
    )
    assert "data-diff-only" in page


def test_staff_list_experiments_in_the_admin(client, django_user_model, alice, flux_dev):
    start(alice, flux_dev, spec={"kind": "seeds", "count": 1}, title="Seeds of alice")
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-r-12345"))

    response = client.get("/admin/experiments/experiment/")

    assert "Seeds of alice" in response.content.decode()


@pytest.mark.parametrize(
    "junk",
    [
        {"__kind": "teleport"},
        {"__kind": "seeds", "__count": "many"},
        {"__kind": "seeds", "__count": "99999999"},
        {"__kind": "sweep"},
        {"__kind": "sweep", "__x_field": "guidance_scale", "__x_values": "[1, "},
        {"__kind": "prompts", "__prompts": ""},
        {"__kind": "seeds", "__count": "2", "__team": "not-a-team"},
    ],
)
def test_junk_gets_a_clear_422_never_a_500(client_alice, junk):
    response = client_alice.post(NEW, {**FORM, **junk, "__step": "start"})

    assert response.status_code == 422
    assert not Experiment.objects.exists()
