/**
 * The app's webhook deliveries (JWT): the list, newest first with cursor pagination as GitHub pages
 * it, one delivery with its payload, and a redelivery request (202, sent in the background).
 */
import { encodePath, HttpError, notFound, ok, route, unprocessable, type RequestContext, type Route } from '../http.js';
import { deliveryShape, REDELIVERY_WINDOW_MS } from '../webhooks.js';

function deliveryOf(ctx: RequestContext) {
  const delivery = ctx.state.webhooks.deliveries.find((d) => d.id === Number(ctx.params.id));
  if (!delivery) throw notFound();
  return delivery;
}

export const hookDeliveryRoutes: Route[] = [
  route(
    'GET',
    '/app/hook/deliveries',
    (ctx) => {
      const perPage = Math.min(Math.max(Number(ctx.query.get('per_page') ?? 30) || 30, 1), 100);
      const newestFirst = [...ctx.state.webhooks.deliveries].reverse();
      const cursor = ctx.query.get('cursor');
      let start = 0;
      if (cursor) {
        const index = newestFirst.findIndex((d) => String(d.id) === cursor);
        if (index < 0) throw new HttpError(422, 'Invalid cursor');
        start = index;
      }
      const page = newestFirst.slice(start, start + perPage);
      const next = newestFirst[start + perPage];
      const headers: Record<string, string> = {};
      if (next) {
        const query = new URLSearchParams({ per_page: String(perPage), cursor: String(next.id) });
        headers.link = `<${ctx.requestApiRoot}${encodePath(ctx.path)}?${query}>; rel="next"`;
      }
      return { status: 200, body: page.map(deliveryShape), headers };
    },
    'jwt',
  ),

  route(
    'GET',
    '/app/hook/deliveries/:id',
    (ctx) => {
      const delivery = deliveryOf(ctx);
      return ok({ ...deliveryShape(delivery), request: { headers: { 'X-GitHub-Event': delivery.event }, payload: delivery.payload }, response: { headers: {}, payload: null } });
    },
    'jwt',
  ),

  route(
    'POST',
    '/app/hook/deliveries/:id/attempts',
    (ctx) => {
      const delivery = deliveryOf(ctx);
      if (ctx.state.clock().getTime() - delivery.deliveredAt.getTime() > REDELIVERY_WINDOW_MS) {
        throw unprocessable('Delivery is too old to redeliver');
      }
      ctx.state.webhooks.redeliver(delivery);
      return ok({}, 202);
    },
    'jwt',
  ),
];
