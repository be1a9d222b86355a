/** What a run does: `live` changes AWS; `rehearse` runs everything offline, against Terraform's mock provider. */
export type Mode = 'live' | 'rehearse';
