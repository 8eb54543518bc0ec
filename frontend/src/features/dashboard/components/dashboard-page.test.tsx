import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { toaster } from '@/components/toaster';
import type { Schemas } from '@/lib/api';
import { useSession } from '@/lib/session';
import { type MockRequest, mockApi, reply } from '@/test/api-mock';
import { renderWithProviders } from '@/test/render';
import { DashboardPage } from './dashboard-page';

type Dashboard = Schemas['Dashboard'];
type Advice = Schemas['ThresholdAdvice'];

// recharts' ResponsiveContainer measures its parent: give it a size in jsdom
class FixedResizeObserver {
  constructor(private readonly callback: ResizeObserverCallback) {}
  observe(target: Element) {
    this.callback(
      [{ target, contentRect: { width: 800, height: 260 } } as unknown as ResizeObserverEntry],
      this as unknown as ResizeObserver,
    );
  }
  unobserve() {}
  disconnect() {}
}

// and ask for reduced motion, so charts draw at once instead of animating outside act()
const reducedMotion = (query: string) =>
  ({
    matches: query.includes('prefers-reduced-motion'),
    media: query,
    onchange: null,
    addEventListener: () => {},
    removeEventListener: () => {},
    addListener: () => {},
    removeListener: () => {},
    dispatchEvent: () => false,
  }) as MediaQueryList;

const stubLayout = () => {
  vi.stubGlobal('ResizeObserver', FixedResizeObserver);
  vi.stubGlobal('matchMedia', reducedMotion);
};

beforeAll(stubLayout);

const TENANT = 't1';

const busy = (over: Partial<Dashboard> = {}): Dashboard => ({
  window_minutes: 60,
  generated_at: '2026-01-01T10:00:00+00:00',
  active_conversations: 5,
  queue_depth: 3,
  oldest_pending_age_s: 120,
  replies: 8,
  auto_send_rate: 0.75,
  decisions: { auto_sent: 6, draft: 1, escalated: 1 },
  reviews: { approved: 2, edited: 1, rejected: 1 },
  approve_rate: 0.5,
  edit_rate: 0.25,
  reject_rate: 0.25,
  escalations: { safety: 1, 'waiting:low_confidence': 2 },
  latency: {
    triage: { p50_ms: 12, p95_ms: 30 },
    retrieve: { p50_ms: 40, p95_ms: 90 },
    respond: { p50_ms: 400, p95_ms: 900 },
    score: { p50_ms: 5, p95_ms: 9 },
    total: { p50_ms: 480, p95_ms: 1100 },
  },
  confidence_histogram: [0, 0, 0, 0, 1, 0, 1, 2, 3, 1],
  category_mix: { informational: 6, service_action: 1, safety_compliance: 1 },
  sla_breaches: { drafts_past_limit: 0, customers_waiting: 1 },
  agents: [{ agent_id: 'a1b2c3d4-0000-0000-0000-000000000000', claimed_now: 1, decided: 4 }],
  llm_tokens: 12_000,
  llm_cost_usd: 0.04,
  cost_per_conversation_usd: 0.008,
  ...over,
});

const quiet = (): Dashboard => ({
  window_minutes: 60,
  generated_at: '2026-01-01T10:00:00+00:00',
  active_conversations: 0,
  queue_depth: 0,
  oldest_pending_age_s: null,
  replies: 0,
  auto_send_rate: null,
  decisions: {},
  reviews: {},
  approve_rate: null,
  edit_rate: null,
  reject_rate: null,
  escalations: { safety: 0 },
  latency: Object.fromEntries(
    ['triage', 'retrieve', 'respond', 'score', 'total'].map((s) => [
      s,
      { p50_ms: null, p95_ms: null },
    ]),
  ),
  confidence_histogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  category_mix: {},
  sla_breaches: { drafts_past_limit: 0, customers_waiting: 0 },
  agents: [],
  llm_tokens: 0,
  llm_cost_usd: 0,
  cost_per_conversation_usd: null,
});

const CANDIDATES = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
const advice = (withEvidence = true): Advice => ({
  window_days: 30,
  current_threshold: 0.8,
  answerable: withEvidence ? 120 : 0,
  reviewed: withEvidence ? 60 : 0,
  bands: [],
  options: CANDIDATES.map((t) => ({
    threshold: t,
    predicted_auto_send_rate: withEvidence ? Math.round((1 - t) * 150) / 100 : 0,
    // 0.70 and above: agents approved nearly all drafts unchanged
    predicted_approved_unchanged: withEvidence ? (t >= 0.7 ? 0.95 : 0.7) : null,
    approved_unchanged_lower_bound: withEvidence ? (t >= 0.7 ? 0.86 : 0.55) : null,
    reviewed: withEvidence ? Math.round((1 - t) * 100) : 0,
  })),
});

const policy = {
  confidence_threshold: 0.8,
  escalation_after_s: 300,
  session_idle_s: 3600,
  retention_days: 365,
};

function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.search}</output>;
}

const page = (
  <>
    <DashboardPage />
    <LocationProbe />
  </>
);

function backend(
  dashboard: (request: MockRequest) => Dashboard = () => busy(),
  extra: Parameters<typeof mockApi>[0] = {},
) {
  const api = mockApi({
    'GET /api/v1/analytics/dashboard': (request: MockRequest) => dashboard(request),
    'GET /api/v1/analytics/threshold-advice': advice(),
    'GET /api/v1/tenant/policy': policy,
    ...extra,
  });
  const dashboardCalls = () => api.calls.filter((c) => c.path === '/api/v1/analytics/dashboard');
  return { ...api, dashboardCalls };
}

const tile = (key: string) => screen.getByTestId(`tile-${key}`);

beforeEach(() => {
  useSession.setState({
    accessToken: 'token',
    refreshToken: 'refresh',
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    user: {
      id: 'sup-1',
      email: 'supervisor@demo.example',
      role: 'supervisor',
      tenant_id: TENANT,
      display_name: 'Sam Supervisor',
      is_anonymous: false,
    },
  });
});

afterEach(() => {
  cleanup(); // unmount before signing out, so the sign-out does not re-render the page
  useSession.getState().signOut();
  vi.unstubAllGlobals();
  stubLayout();
  vi.restoreAllMocks();
});

describe('DashboardPage', () => {
  it('shows the fetched figures for the last hour by default', async () => {
    const { dashboardCalls } = backend();
    renderWithProviders(page, { route: '/supervisor' });

    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '5'));
    expect(dashboardCalls()[0].query.get('window_minutes')).toBe('60');
    expect(tile('active_conversations')).toHaveTextContent('5');
    expect(tile('queue_depth')).toHaveAttribute('data-value', '3');
    expect(tile('oldest_pending')).toHaveTextContent('2 min');
    expect(tile('auto_send_rate')).toHaveTextContent('75%');
    expect(tile('auto_send_rate')).toHaveTextContent('6 of 8 replies sent without review');
    expect(tile('approve_rate')).toHaveTextContent('2 of 4 reviewed');
    expect(tile('reject_rate')).toHaveAttribute('data-value', '0.25');
    expect(tile('escalations')).toHaveAttribute('data-value', '3');
    expect(tile('escalations')).toHaveTextContent('Waited too long (low confidence)');
    expect(tile('sla_breaches')).toHaveAttribute('data-value', '1');
    expect(tile('cost_per_conversation')).toHaveTextContent('$0.0080');
    expect(tile('cost_per_conversation')).toHaveTextContent('12K LLM tokens');
    // two minutes is within the five-minute escalation limit
    expect(tile('oldest_pending')).toHaveAttribute('data-tone', 'normal');
    expect(screen.getByTestId('live-indicator')).toHaveTextContent(/Live · updated/);
    expect(screen.getByRole('table', { name: 'Load per agent' })).toHaveTextContent('a1b2c3d4');
  });

  it('marks the oldest waiting draft when it is past the escalation limit', async () => {
    backend(() => busy({ oldest_pending_age_s: 420 }));
    renderWithProviders(page, { route: '/supervisor' });
    await waitFor(() => expect(tile('oldest_pending')).toHaveAttribute('data-tone', 'warning'));
    expect(tile('oldest_pending')).toHaveTextContent('Past the 5 min escalation limit');
  });

  it('takes pushed figures into the one-hour view without a new request', async () => {
    const { dashboardCalls, fetchMock } = backend();
    const { transport } = renderWithProviders(page, { route: '/supervisor' });
    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '5'));
    expect(transport.topics()).toContain(`tenant:${TENANT}:dashboard`);
    await waitFor(() => expect(screen.getByTestId('current-threshold')).toBeInTheDocument());
    const fetchesBefore = fetchMock.mock.calls.length;

    transport.emit(`tenant:${TENANT}:dashboard`, {
      type: 'dashboard.updated',
      dashboard: busy({ active_conversations: 9, queue_depth: 4, auto_send_rate: 0.8 }),
    });

    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '9'));
    expect(tile('active_conversations')).toHaveTextContent('9');
    expect(tile('queue_depth')).toHaveAttribute('data-value', '4');
    expect(tile('auto_send_rate')).toHaveTextContent('80%');
    // changed tiles are highlighted (an effect after the new figures render), unchanged not
    await waitFor(() =>
      expect(tile('active_conversations')).toHaveAttribute('data-changed', 'true'),
    );
    expect(tile('escalations')).not.toHaveAttribute('data-changed');
    expect(fetchMock.mock.calls.length).toBe(fetchesBefore);
    expect(dashboardCalls()).toHaveLength(1);
  });

  it('refetches its own window when a push arrives for another window', async () => {
    let active = 11;
    const { dashboardCalls } = backend((request) =>
      busy({
        window_minutes: Number(request.query.get('window_minutes')),
        active_conversations: active,
      }),
    );
    const { transport } = renderWithProviders(page, { route: '/supervisor?window=24h' });
    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '11'));
    expect(dashboardCalls()).toHaveLength(1);
    expect(dashboardCalls()[0].query.get('window_minutes')).toBe('1440');

    active = 12;
    transport.emit(`tenant:${TENANT}:dashboard`, {
      type: 'dashboard.updated',
      dashboard: busy({ active_conversations: 99 }),
    });

    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '12'));
    expect(dashboardCalls()).toHaveLength(2);
    expect(dashboardCalls()[1].query.get('window_minutes')).toBe('1440');
    // the one-hour figures were not shown in the 24-hour view
    expect(screen.queryByText('99')).not.toBeInTheDocument();
  });

  it('refetches after a reconnect', async () => {
    const { dashboardCalls } = backend();
    const { transport } = renderWithProviders(page, { route: '/supervisor' });
    await waitFor(() => expect(dashboardCalls()).toHaveLength(1));
    transport.resync.emit();
    await waitFor(() => expect(dashboardCalls()).toHaveLength(2));
  });

  it('writes the chosen window to the URL and asks for its minutes', async () => {
    const { dashboardCalls } = backend((request) =>
      busy({ window_minutes: Number(request.query.get('window_minutes')) }),
    );
    renderWithProviders(page, { route: '/supervisor' });
    await waitFor(() => expect(dashboardCalls()).toHaveLength(1));

    await userEvent.click(screen.getByText('15 min'));

    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('window=15m'));
    await waitFor(() => expect(dashboardCalls()).toHaveLength(2));
    expect(dashboardCalls()[1].query.get('window_minutes')).toBe('15');

    await userEvent.click(screen.getByText('7 days'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('window=7d'));
    await waitFor(() => expect(dashboardCalls().at(-1)?.query.get('window_minutes')).toBe('10080'));
  });

  it('renders a quiet tenant as zeros and empty charts', async () => {
    backend(quiet, { 'GET /api/v1/analytics/threshold-advice': advice(false) });
    renderWithProviders(page, { route: '/supervisor' });

    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '0'));
    for (const key of [
      'queue_depth',
      'oldest_pending',
      'auto_send_rate',
      'approve_rate',
      'edit_rate',
      'reject_rate',
      'escalations',
      'sla_breaches',
      'cost_per_conversation',
    ]) {
      expect(tile(key)).toHaveAttribute('data-value', '0');
    }
    expect(tile('auto_send_rate')).toHaveTextContent('0%');
    expect(tile('auto_send_rate')).toHaveAttribute('data-empty', 'true');
    expect(tile('cost_per_conversation')).toHaveTextContent('$0.00');
    expect(tile('escalations')).toHaveTextContent('None in this window');
    // latency, confidence, category mix, decisions, advisor
    await waitFor(() => expect(screen.getAllByText('No data yet')).toHaveLength(5));
    expect(screen.getByText('No agent activity yet')).toBeInTheDocument();
    expect(screen.getByText('No recommendation yet')).toBeInTheDocument();
  });

  it('says what went wrong when the figures cannot be loaded, and retries', async () => {
    let fail = true;
    backend(undefined, {
      'GET /api/v1/analytics/dashboard': () =>
        fail
          ? reply(503, { code: 'unavailable', detail: 'The database is not answering.' })
          : busy(),
    });
    renderWithProviders(page, { route: '/supervisor' });
    expect(await screen.findByText('Could not load the dashboard.')).toBeInTheDocument();
    expect(screen.getByText('The database is not answering.')).toBeInTheDocument();
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(tile('active_conversations')).toHaveAttribute('data-value', '5'));
  });

  it('applies the recommended threshold after confirmation', async () => {
    const toast = vi.spyOn(toaster, 'create');
    const { calls } = backend(undefined, {
      'PATCH /api/v1/tenant/policy': (request: MockRequest) => ({
        ...policy,
        ...(request.body as Record<string, unknown>),
      }),
    });
    renderWithProviders(page, { route: '/supervisor' });

    const advisor = await screen.findByTestId('threshold-advisor');
    await waitFor(() =>
      expect(within(advisor).getByTestId('recommendation')).toHaveTextContent('0.70'),
    );
    await userEvent.click(within(advisor).getByRole('button', { name: 'Apply 0.70' }));

    const dialog = await screen.findByRole('alertdialog');
    expect(dialog).toHaveTextContent('From 0.80 to 0.70');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Set to 0.70' }));

    await waitFor(() => expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1));
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ confidence_threshold: 0.7 });
    await waitFor(() =>
      expect(toast).toHaveBeenCalledWith(
        expect.objectContaining({ type: 'success', title: 'Confidence threshold set to 0.70' }),
      ),
    );
    await waitFor(() => expect(screen.getByTestId('current-threshold')).toHaveTextContent('0.70'));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
  });

  it('sends nothing when the confirmation is cancelled', async () => {
    const { calls } = backend();
    renderWithProviders(page, { route: '/supervisor' });
    const advisor = await screen.findByTestId('threshold-advisor');
    await userEvent.selectOptions(
      await within(advisor).findByLabelText('Or choose a threshold'),
      '0.9',
    );
    await userEvent.click(within(advisor).getByRole('button', { name: 'Apply…' }));
    const dialog = await screen.findByRole('alertdialog');
    expect(dialog).toHaveTextContent('From 0.80 to 0.90');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
  });
});
