/** What a webhook handler did with a delivery (the `outcome` label of opsbox_webhook_deliveries_total). */
export type DeliveryOutcome = 'claimed' | 'duplicate' | 'ignored' | 'queued';
