"""Credential formats of developer platforms: code hosting, registries, CI, observability."""

from __future__ import annotations

import base64
import binascii

from ramparts.detectors.secrets.checksums import github_token_checksum_ok
from ramparts.detectors.secrets.rule import LB, RB, RB_LOOSE, SecretRule, case_variants, rule


def _is_jfrog_reference(value: str) -> bool:
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    parts = raw.split(b":")
    return len(parts) >= 4 and parts[1].isdigit() and parts[2].isdigit()


def _is_jira_pat(value: str) -> bool:
    """A Jira/Confluence PAT is base64 of a 12-digit id, a colon and 20 random bytes."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 33 and raw[:12].isdigit() and raw[12:13] == b":"


DEV_RULES: tuple[SecretRule, ...] = (
    # --- GitHub ---
    rule(
        "github-pat-classic",
        "GitHub",
        LB + r"ghp_[A-Za-z0-9]{36,40}" + RB,
        "ghp_",
        "GitHub classic personal access token (CRC32 checksum verified)",
        validator=github_token_checksum_ok,
    ),
    rule(
        "github-pat-fine-grained",
        "GitHub",
        LB + r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}" + RB,
        "github_pat_",
        "GitHub fine-grained personal access token",
    ),
    rule(
        "github-oauth-token",
        "GitHub",
        LB + r"gho_[A-Za-z0-9]{36}" + RB,
        "gho_",
        "GitHub OAuth access token (CRC32 checksum verified)",
        validator=github_token_checksum_ok,
    ),
    rule(
        "github-app-token",
        "GitHub",
        LB + r"(?:ghu|ghs)_(?:[A-Za-z0-9]{36}"
        r"|[0-9]{8}_[A-Za-z0-9_\-]{20,2000}\.[A-Za-z0-9_\-]{10,2000}\.[A-Za-z0-9_\-]{10,1000})"
        + RB,
        ("ghu_", "ghs_"),
        "GitHub App user-to-server or installation token",
    ),
    rule(
        "github-refresh-token",
        "GitHub",
        LB + r"ghr_[A-Za-z0-9]{36,76}" + RB,
        "ghr_",
        "GitHub refresh token (CRC32 checksum verified)",
        validator=github_token_checksum_ok,
    ),
    # --- GitLab ---
    rule(
        "gitlab-token",
        "GitLab",
        LB + r"gl(?:pat|oas|dt|rt|cbt|ptt|ft|imt|agent|soat|ffct|rtr|wt)-[0-9A-Za-z_\-]{20,64}"
        r"(?:\.[0-9A-Za-z]{2}\.[0-9A-Za-z]{7,9})?" + RB,
        (
            "glpat-",
            "gloas-",
            "gldt-",
            "glrt-",
            "glcbt-",
            "glptt-",
            "glft-",
            "glimt-",
            "glagent-",
            "glsoat-",
            "glffct-",
            "glrtr-",
            "glwt-",
        ),
        "GitLab token (personal, deploy, runner, CI job, trigger, feed, agent, SCIM...)",
        min_entropy=3.0,
    ),
    rule(
        "gitlab-runner-registration-token",
        "GitLab",
        LB + r"GR1348941[A-Za-z0-9_\-]{20}" + RB,
        "GR1348941",
        "GitLab runner registration token",
    ),
    rule(
        "gitlab-session-cookie",
        "GitLab",
        r"_gitlab_session=([0-9a-z]{32})" + RB,
        "_gitlab_session=",
        "GitLab session cookie",
        secret_group=1,
    ),
    # --- Atlassian and Bitbucket ---
    rule(
        "atlassian-api-token",
        "Atlassian",
        LB + r"ATATT3[A-Za-z0-9_\-]{150,230}+(?:=|\\=|%3[Dd])[A-F0-9]{8}" + RB,
        "ATATT3",
        "Atlassian API token",
    ),
    rule(
        "bitbucket-repository-access-token",
        "Bitbucket",
        LB + r"ATCTT3[A-Za-z0-9_\-]{150,230}+(?:=|\\=|%3[Dd])[A-F0-9]{8}" + RB,
        "ATCTT3",
        "Bitbucket repository, project or workspace access token",
    ),
    rule(
        "bitbucket-app-password",
        "Bitbucket",
        LB + r"ATBB[A-Za-z0-9_=.\-]{32}" + RB,
        "ATBB",
        "Bitbucket app password",
    ),
    rule(
        "bitbucket-http-access-token",
        "Bitbucket",
        LB + r"BBDC-[A-Za-z0-9+/@_\-]{44}" + RB,
        "BBDC-",
        "Bitbucket Data Center HTTP access token",
    ),
    rule(
        "jira-confluence-pat",
        "Atlassian",
        LB + r"(?:MD|MT|Mj|Mz|ND|NT|Nj|Nz|OD|OT)[A-Za-z0-9]{42}" + RB,
        ("MD", "MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"),
        "Jira / Confluence Data Center personal access token (base64 of 'id:random')",
        validator=_is_jira_pat,
        score=0.8,
    ),
    # --- package registries ---
    rule(
        "npm-access-token",
        "npm",
        LB + r"npm_[A-Za-z0-9]{36}" + RB,
        "npm_",
        "npm access token",
    ),
    rule(
        "pypi-api-token",
        "PyPI",
        LB + r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,1000}" + RB,
        "pypi-AgEIcHlwaS5vcmc",
        "PyPI upload token",
    ),
    rule(
        "rubygems-api-key",
        "RubyGems",
        LB + r"rubygems_[a-f0-9]{48}" + RB,
        "rubygems_",
        "RubyGems API key",
    ),
    rule(
        "nuget-api-key",
        "NuGet",
        LB + r"oy2[a-z0-9]{43}" + RB,
        "oy2",
        "NuGet API key",
        min_entropy=3.5,
    ),
    rule(
        "clojars-deploy-token",
        "Clojars",
        LB + r"CLOJARS_[a-z0-9]{60}" + RB,
        "CLOJARS_",
        "Clojars deploy token",
    ),
    rule(
        "docker-hub-token",
        "Docker",
        LB + r"dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,40}" + RB,
        ("dckr_pat_", "dckr_oat_"),
        "Docker Hub personal or organisation access token",
    ),
    rule(
        "jfrog-api-key",
        "JFrog",
        LB + r"AKCp[A-Za-z0-9]{69}" + RB,
        "AKCp",
        "JFrog Artifactory API key",
    ),
    rule(
        "jfrog-reference-token",
        "JFrog",
        LB + r"cmVmdGtu[A-Za-z0-9]{56}" + RB,
        "cmVmdGtu",
        "JFrog reference token (base64 of 'reftkn:01:<id>:...')",
        validator=_is_jfrog_reference,
    ),
    rule(
        "hex-pm-key",
        "Hex",
        r"(?i:hex)[\w.\-]{0,20}(?i:key)[\"']?\s{0,5}[:=]\s{0,5}[\"']?([a-f0-9]{32})" + RB,
        case_variants("hex"),
        "Hex.pm API key",
        secret_group=1,
    ),
    # --- CI / code quality ---
    rule(
        "sonarqube-token",
        "SonarQube",
        LB + r"(?:squ|sqp|sqa)_[a-f0-9]{40}" + RB,
        ("squ_", "sqp_", "sqa_"),
        "SonarQube / SonarCloud token",
    ),
    rule(
        "snyk-api-token",
        "Snyk",
        r"(?i:snyk)[\w.\-]{0,20}[\"']?\s{0,5}[:=]\s{0,5}[\"']?"
        r"([a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})" + RB,
        case_variants("snyk"),
        "Snyk API token",
        secret_group=1,
    ),
    rule(
        "circleci-token",
        "CircleCI",
        LB + r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}" + RB,
        "CCIPAT_",
        "CircleCI personal API token",
    ),
    rule(
        "buildkite-token",
        "Buildkite",
        LB + r"bkua_[a-f0-9]{40}" + RB,
        "bkua_",
        "Buildkite API access token",
    ),
    rule(
        "octopus-deploy-api-key",
        "Octopus Deploy",
        LB + r"API-[A-Z0-9]{26}" + RB,
        "API-",
        "Octopus Deploy API key",
        min_entropy=3.5,
    ),
    rule(
        "prefect-api-key",
        "Prefect",
        LB + r"pnu_[A-Za-z0-9]{36}" + RB,
        "pnu_",
        "Prefect API key",
    ),
    rule(
        "readme-api-key",
        "ReadMe",
        LB + r"rdme_[a-z0-9]{70}" + RB,
        "rdme_",
        "ReadMe API key",
    ),
    rule(
        "harness-pat",
        "Harness",
        LB + r"pat\.[A-Za-z0-9_\-]{22}\.[a-z0-9]{24}\.[A-Za-z0-9]{20}" + RB,
        "pat.",
        "Harness personal access token",
    ),
    rule(
        "sourcegraph-token",
        "Sourcegraph",
        LB + r"sgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40}" + RB,
        "sgp_",
        "Sourcegraph access token",
    ),
    # --- observability ---
    rule(
        "sentry-org-token",
        "Sentry",
        LB + r"sntrys_eyJpYXQiO[A-Za-z0-9+/=_]{60,400}" + RB,
        "sntrys_",
        "Sentry organisation auth token",
    ),
    rule(
        "sentry-user-token",
        "Sentry",
        LB + r"sntryu_[a-f0-9]{64}" + RB,
        "sntryu_",
        "Sentry user auth token",
    ),
    rule(
        "grafana-cloud-token",
        "Grafana",
        LB + r"glc_[A-Za-z0-9+/]{32,400}={0,2}" + RB_LOOSE,
        "glc_",
        "Grafana Cloud access policy token",
    ),
    rule(
        "grafana-service-account-token",
        "Grafana",
        LB + r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}" + RB,
        "glsa_",
        "Grafana service account token",
    ),
    rule(
        "grafana-api-key",
        "Grafana",
        LB + r"eyJrIjoi[A-Za-z0-9]{60,100}={0,2}" + RB_LOOSE,
        "eyJrIjoi",
        "Grafana provisioned API key (base64 JSON with a 'k' field)",
    ),
    rule(
        "newrelic-key",
        "New Relic",
        LB + r"(?:NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRBR-[a-f0-9]{19}|NRII-[A-Za-z0-9_\-]{24,32}"
        r"|NRAA-[a-f0-9]{27})" + RB,
        ("NRAK-", "NRJS-", "NRBR-", "NRII-", "NRAA-"),
        "New Relic user, browser, insights or admin key",
    ),
    rule(
        "newrelic-license-key",
        "New Relic",
        LB + r"(?:[a-f0-9]{36}|eu01xx?[a-f0-9]{30,34})NRAL" + RB,
        "NRAL",
        "New Relic ingest license key",
        anchored=False,
    ),
    rule(
        "dynatrace-api-token",
        "Dynatrace",
        LB + r"dt0[a-z][0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}" + RB,
        "dt0",
        "Dynatrace API token",
    ),
    rule(
        "datadog-api-key",
        "Datadog",
        r"(?i:datadog|dd_)[\w.\-]{0,20}(?i:api|app)[_\-]?(?i:key)[\"']?\s{0,5}[:=]\s{0,5}[\"']?"
        r"([a-f0-9]{32}|[a-f0-9]{40})" + RB,
        case_variants("datadog", "dd_"),
        "Datadog API or application key",
        secret_group=1,
    ),
    rule(
        "posthog-key",
        "PostHog",
        LB + r"ph[csrax]_[A-Za-z0-9]{40,60}" + RB,
        ("phc_", "phs_", "phr_", "pha_", "phx_"),
        "PostHog project or personal API key",
    ),
    rule(
        "postman-api-key",
        "Postman",
        LB + r"PMA[KT]-[a-f0-9]{24}-[a-f0-9]{34}" + RB,
        ("PMAK-", "PMAT-"),
        "Postman API key",
    ),
    rule(
        "postman-collection-token",
        "Postman",
        LB + r"PMAT-[A-Z0-9]{26}" + RB,
        "PMAT-",
        "Postman collection access token",
    ),
    rule(
        "launchdarkly-token",
        "LaunchDarkly",
        LB + r"(?:api|sdk)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}" + RB,
        ("api-", "sdk-"),
        "LaunchDarkly API or SDK key",
        score=0.8,
    ),
    # --- productivity SaaS ---
    rule(
        "linear-api-key",
        "Linear",
        LB + r"lin_api_[A-Za-z0-9]{40}" + RB,
        "lin_api_",
        "Linear API key",
    ),
    rule(
        "notion-integration-token",
        "Notion",
        LB + r"(?:ntn_[A-Za-z0-9]{46}|secret_[A-Za-z0-9]{43})" + RB,
        ("ntn_", "secret_"),
        "Notion integration token",
        min_entropy=3.5,
    ),
    rule(
        "figma-pat",
        "Figma",
        LB + r"figd_[A-Za-z0-9_\-]{40}" + RB,
        "figd_",
        "Figma personal access token",
    ),
    rule(
        "airtable-pat",
        "Airtable",
        LB + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + RB,
        "pat",
        "Airtable personal access token",
    ),
    rule(
        "asana-pat",
        "Asana",
        LB + r"[12]/[0-9]{16}/[0-9]{16}:[a-f0-9]{32}" + RB,
        ("1/", "2/"),
        "Asana personal access token",
    ),
    rule(
        "contentful-token",
        "Contentful",
        LB + r"CFPAT-[A-Za-z0-9_\-]{43}" + RB,
        "CFPAT-",
        "Contentful personal access token",
    ),
    rule(
        "dropbox-short-lived-token",
        "Dropbox",
        LB + r"sl\.[A-Za-z0-9_\-]{130,160}" + RB,
        "sl.",
        "Dropbox short-lived OAuth access token",
    ),
    rule(
        "dropbox-long-lived-token",
        "Dropbox",
        LB + r"[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_\-]{43}" + RB,
        "AAAAAAAAAA",
        "Dropbox long-lived access token",
        anchored=False,
        allow_repeats=True,
        whole_text=True,
    ),
    rule(
        "typeform-token",
        "Typeform",
        LB + r"tfp_[A-Za-z0-9_\-.]{59}" + RB,
        "tfp_",
        "Typeform personal access token",
    ),
    rule(
        "frameio-token",
        "Frame.io",
        LB + r"fio-u-[A-Za-z0-9_\-=]{64}" + RB,
        "fio-u-",
        "Frame.io API token",
    ),
    rule(
        "onepassword-service-token",
        "1Password",
        LB + r"ops_eyJ[A-Za-z0-9+/=_\-]{250,2000}" + RB,
        "ops_eyJ",
        "1Password service account token",
    ),
    rule(
        "onepassword-secret-key",
        "1Password",
        LB + r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})"
        r"-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}" + RB,
        "A3-",
        "1Password account secret key",
    ),
    rule(
        "wundergraph-api-key",
        "WunderGraph",
        LB + r"cosmo_[a-f0-9]{32}" + RB_LOOSE,
        "cosmo_",
        "WunderGraph Cosmo API key",
    ),
    rule(
        "okta-api-token",
        "Okta",
        r"(?i:okta)[\w.\-]{0,20}[\"']?\s{0,5}[:=]\s{0,5}[\"']?(00[A-Za-z0-9_\-]{40})" + RB,
        case_variants("okta"),
        "Okta API token",
        secret_group=1,
    ),
)
