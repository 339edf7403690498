/**
 * The one list of places a cell may run: AWS region names and Azure location names (ARM spelling).
 * Props validation and the topology check read them, so `us-east-9` or `eastuss` fails at synth
 * instead of at `terraform apply`.
 *
 * A region newer than this list: add it here (one line, reviewed like any other change). To deploy
 * before that change lands, set `allowUnlistedRegion: true` on the AWS cell (`allowUnlistedLocation:
 * true` on an Azure cell): the name must then still look like one (`AWS_REGION_PATTERN`,
 * `AZURE_LOCATION_PATTERN`), but need not be listed.
 */

/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** Azure location names as the ARM API spells them: `eastus`, `westeurope`, `eastus2`. */
export const AZURE_LOCATION_PATTERN = /^[a-z]+[a-z0-9]*$/;

/**
 * AWS regions: the commercial partition, AWS GovCloud (US) and China, as the AWS SDK's endpoint
 * partitions list them (`@aws-sdk/core`, checked 2026-11). Order matters only for "did you mean"
 * ties: the first close match wins.
 */
export const AWS_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "ca-west-1",
  "mx-central-1",
  "sa-east-1",
  "sa-west-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "me-west-1",
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "us-gov-east-1",
  "us-gov-west-1",
  "cn-north-1",
  "cn-northwest-1",
] as const;

/**
 * Azure physical locations (`az account list-locations`, region type Physical): the public cloud,
 * Azure Government and Azure China. Logical names (`europe`, `global`) are not places a cell runs.
 */
export const AZURE_LOCATIONS = [
  "eastus",
  "eastus2",
  "centralus",
  "northcentralus",
  "southcentralus",
  "westcentralus",
  "westus",
  "westus2",
  "westus3",
  "canadacentral",
  "canadaeast",
  "mexicocentral",
  "brazilsouth",
  "brazilsoutheast",
  "chilecentral",
  "northeurope",
  "westeurope",
  "uksouth",
  "ukwest",
  "francecentral",
  "francesouth",
  "germanywestcentral",
  "germanynorth",
  "italynorth",
  "spaincentral",
  "polandcentral",
  "swedencentral",
  "norwayeast",
  "norwaywest",
  "switzerlandnorth",
  "switzerlandwest",
  "uaenorth",
  "uaecentral",
  "qatarcentral",
  "israelcentral",
  "southafricanorth",
  "southafricawest",
  "centralindia",
  "southindia",
  "westindia",
  "jioindiacentral",
  "jioindiawest",
  "eastasia",
  "southeastasia",
  "japaneast",
  "japanwest",
  "koreacentral",
  "koreasouth",
  "indonesiacentral",
  "malaysiawest",
  "australiaeast",
  "australiasoutheast",
  "australiacentral",
  "australiacentral2",
  "newzealandnorth",
  "usgovvirginia",
  "usgovarizona",
  "usgovtexas",
  "usdodeast",
  "usdodcentral",
  "chinaeast",
  "chinaeast2",
  "chinaeast3",
  "chinanorth",
  "chinanorth2",
  "chinanorth3",
] as const;
