// backup-topology's components from TypeScript: an IBM Cloud VPC snapshot with a fast-restore clone in us-south-2,
// and its copy in us-east. The endpoints default to the lab's local IBM VPC fake (docs/lab.md); against IBM Cloud,
// leave out the `endpoint` properties (each region's public endpoint is the default).
import * as pulumi from "@pulumi/pulumi";
import * as bt from "@pulumi/backup-topology";

const config = new pulumi.Config();
const trigger = config.get("trigger") ?? "t1";
const southEndpoint = config.get("southEndpoint") ?? "http://127.0.0.1:18701/v1";
const eastEndpoint = config.get("eastEndpoint") ?? "http://127.0.0.1:18702/v1";

// A snapshot of the volume with a fast-restore clone in us-south-2: a new trigger takes a new one.
const db = new bt.SnapshotWithClones("db", {
    volumeId: config.get("ibmVolumeId") ?? "r006-1ab00001-volume",
    region: "us-south",
    endpoint: southEndpoint,
    trigger,
    cloneZones: ["us-south-2"],
    userTags: ["env:lab"],
    consistency: bt.Consistency.Crash,
    deleteOnRemoval: true,
    timeouts: { create: "2m" },
});

// Its copy in us-east. From TypeScript the source is given by ID (a Python program may pass the component itself).
const dr = new bt.CrossRegionCopy("db-dr", {
    destinationRegion: "us-east",
    ibm: {
        sourceSnapshotId: db.snapshotId,
        sourceRegion: "us-south",
        sourceEndpoint: southEndpoint,
        sourceTrigger: trigger,
        destinationEndpoint: eastEndpoint,
    },
    deleteOnRemoval: true,
});

export const snapshotId = db.snapshotId;
export const snapshotName = db.snapshotName;
export const cloneZoneHoursPerMonth = db.cloneZoneHoursPerMonth;
export const copyId = dr.copyId;
